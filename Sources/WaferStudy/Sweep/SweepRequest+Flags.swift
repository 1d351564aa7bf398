import Foundation
import WaferMap
import WaferReport
import WaferPasses
import WaferSupport

extension SweepRequest {
    /// `wafermap sweep`'s request: the sweep tries slot sizes itself, so `--slot` is refused;
    /// `slots` is a comma-separated list of `P` or `WxH`.
    public init(count: CountRequest, fixedSlot: String?, slots: String?, extraWafers: Int, top: Int) throws(DiagnosticError) {
        self.init(count: count)
        self.extraWafers = extraWafers
        self.top = top
        if fixedSlot != nil { throw .error(DriverFailure.flagConflict, "sweep tries slot sizes itself: give them with --slots, not --slot", at: nil) }
        for item in (slots ?? "").split(separator: ",").map({ $0.trimmingCharacters(in: .whitespaces) }) where !item.isEmpty {
            guard let shape = SlotShape(parsing: item) else { throw .error(DriverFailure.flagValue, "--slots: '\(item)' is not P or WxH in PEs", at: nil) }
            self.slots.append(shape)
        }
    }
}
