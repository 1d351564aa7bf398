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
        var fits: [ProductionReport.Fit] = []
        if request.fit {
            progress("fitting \(profiles.count) kernel profiles")
            for (name, fitted) in ProductionCalibration.fit(cases, profiles: profiles).sorted(by: { $0.key < $1.key }) {
                if let base = profiles[name] { profiles[name] = ProductionCalibration.profile(base, fitted) }
                fits.append(.init(profile: name, matvecEfficiency: fitted.matvecEfficiency, layerOverheadCycles: fitted.layerOverheadCycles,
                                  rows: fitted.central.rows, maxAbsError: fitted.central.maxAbsError))
            }
        }
        var rows: [ProductionReport.Row] = []
        for c in cases {
            guard let profile = profiles[c.row.kernels] else { continue }
            guard let estimate = c.estimate(profile) else { throw .error(DriverFailure.invariant, "internal: no schedule", at: nil) }
            let predicted = (c.tokensPerS(profile), c.tokensPerS(profile, .slowest), c.tokensPerS(profile, .fastest))
            rows.append(.init(c.row, model: c.graph.name, estimate: estimate, predicted: predicted, wafers: c.graph.layout?.wafers.count ?? 0,
                              precision: c.graph.precision.description))
        }
        return ProductionReport(source: set.source, target: targetName, contextTokens: set.contextTokens, rows: rows, fits: fits)
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
