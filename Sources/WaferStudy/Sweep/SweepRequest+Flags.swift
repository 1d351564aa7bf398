import Foundation
import WaferMap
import WaferReport
import WaferPasses
import WaferSupport

extension SweepRequest {
    /// `wafermap sweep`'s request: the sweep tries slot sizes itself, so `--slot` is refused;
    /// `slots` is a comma-separated list of `P` or `WxH`; `batches` and `contexts` are
    /// comma-separated lists of positive integers (checked for bounds by `sweepConfigurations`),
    /// and replace `--batch` / `--context`, so a non-default one of those beside them is refused.
    public init(count: CountRequest, fixedSlot: String?, slots: String?, extraWafers: Int, top: Int,
                batches: String? = nil, contexts: String? = nil, format: SweepFormat = .table) throws(DiagnosticError) {
        self.init(count: count)
        self.extraWafers = extraWafers
        self.top = top
        self.format = format
        if fixedSlot != nil { throw .error(DriverFailure.flagConflict, "sweep tries slot sizes itself: give them with --slots, not --slot", at: nil) }
        for item in (slots ?? "").split(separator: ",").map({ $0.trimmingCharacters(in: .whitespaces) }) where !item.isEmpty {
            guard let shape = SlotShape(parsing: item) else { throw .error(DriverFailure.flagValue, "--slots: '\(item)' is not P or WxH in PEs", at: nil) }
            self.slots.append(shape)
        }
        if let batches {
            if count.deployment.batch != 1 { throw .error(DriverFailure.flagConflict, "give --batch or --batches, not both", at: nil) }
            self.batches = try Self.integers(batches, flag: "--batches")
        }
        if let contexts {
            if count.deployment.contextTokens != 8192 { throw .error(DriverFailure.flagConflict, "give --context or --contexts, not both", at: nil) }
            self.contexts = try Self.integers(contexts, flag: "--contexts")
        }
    }

    /// A comma-separated list of integers (`1,2,4,8`); at most `maxAxisValues`. O(length).
    static func integers(_ list: String, flag: String) throws(DiagnosticError) -> [Int] {
        let items = list.split(separator: ",", omittingEmptySubsequences: false).map { $0.trimmingCharacters(in: .whitespaces) }
        guard items.count <= maxAxisValues else { throw .error(DriverFailure.flagValue, "\(flag) lists \(items.count) values; give at most \(maxAxisValues)", at: nil) }
        var out: [Int] = []
        for item in items {
            guard let v = Int(item) else { throw .error(DriverFailure.flagValue, "\(flag): '\(item)' is not a whole number (give a list such as 1,2,4,8)", at: nil) }
            out.append(v)
        }
        return out
    }
}
