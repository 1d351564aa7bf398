import WaferIR
import WaferPasses
import WaferPerf
import WaferReport
import WaferSupport
import WaferTarget

extension Driver {
    /// `calibrate --production [--fit]`: compiles each row's model on the data file's target with
    /// the row's kernel profile (on the published wafer count where the source states one and
    /// the model fits it, else the fewest that fit, and the row says so); with `fit`, fits each
    /// profile to its own fit rows (`ProductionCalibration`); then predicts every row with its
    /// profile, central figure and range. O(rows x compile + profiles x fit).
    public static func compareProduction(_ request: CalibrationRequest, progress: (String) -> Void = { _ in }) throws(DiagnosticError) -> ProductionReport {
        let set = try ProductionSet.load(path: request.path)
        let targetName = request.target ?? set.target
        var cases: [ProductionCase] = []
        var profiles: [String: KernelProfile] = [:]
        for row in set.rows {
            progress("\(row.modelName) (\(row.role.rawValue) set, \(row.kernels))")
            let target = try BuiltinTargets.resolve(targetName, kernels: row.kernels)
            if let k = target.kernels { profiles[row.kernels] = k }
            var count = CountRequest(modelPath: row.modelPath)
            count.target = targetName
            count.kernels = row.kernels
            count.deployment = DeploymentOptions(contextTokens: set.contextTokens, wafers: row.wafers.map { .exactly($0) } ?? .auto)
            let report: CountReport
            do { report = try Driver.count(count) } catch where row.wafers != nil {
                count.deployment.wafers = .auto
                guard let fewest = try? Driver.count(count) else { throw error }
                report = fewest
            }
            guard let graph = report.results.first?.graph else { throw .error(DriverFailure.invariant, "internal: no schedule", at: nil) }
            cases.append(ProductionCase(row: row, graph: graph, target: report.target, drafts: try drafts(for: row, count)))
        }
        if request.fit { progress("fitting \(profiles.count) kernel profiles") }
        guard let report = ProductionReport(set: set, target: targetName, cases: cases, profiles: profiles, fit: request.fit) else {
            throw .error(DriverFailure.invariant, "internal: no schedule", at: nil)
        }
        return report
    }

    /// The drafts a speculative row may use (undisclosed): `--speculative auto`'s choice, and
    /// the EAGLE head when auto chose another kind.
    static func drafts(for row: ProductionSet.Row, _ count: CountRequest) throws(DiagnosticError) -> [SpeculativeDrafts] {
        guard row.speculative != .no else { return [] }
        var request = count
        request.speculative = SpeculativeRequest(draft: "auto")
        guard let auto = try speculativeDrafts(request) else { return [] }
        guard auto.kind != .eagle else { return [auto] }
        request.speculative = SpeculativeRequest(draft: "eagle")
        return [auto] + (try speculativeDrafts(request).map { [$0] } ?? [])
    }
}
