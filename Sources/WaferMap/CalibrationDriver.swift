import Foundation
import WaferBackend
import WaferExec
import WaferIR
import WaferPasses
import WaferPerf
import WaferPlan
import WaferReport
import WaferSupport
import WaferTarget
import WaferYAML

/// What `wafermap calibrate` asks for.
public struct CalibrationRequest: Sendable {
    public var path: String
    /// A target name or file replacing the calibration file's (to test new constants).
    public var target: String?
    /// Also fit the fitted constants (sustained MACs per cycle, relay cycles, layer overhead).
    public var fit = false
    /// Also compile each model with the compiler's own mapping and compare with the best
    /// published figure.
    public var ownMapping = true
    public init(path: String) { self.path = path }
}

extension Driver {
    /// Predicts every published point on its published mapping (one layer per `P x P` slot,
    /// tree allreduces), with the analytic model and the executor's timing simulation, counting
    /// the decoder layers alone as the paper does; optionally fits the constants and compiles
    /// each model with the compiler's own mapping. O(points x compile).
    public static func calibrate(_ request: CalibrationRequest, progress: (String) -> Void = { _ in }) throws(DiagnosticError) -> CalibrationReport {
        let set = try CalibrationSet.load(path: request.path)
        let targetName = request.target ?? set.target
        let target = try BuiltinTargets.resolve(targetName)
        var points: [CalibrationReport.Point] = []
        for point in set.points {
            progress("\(point.modelName) at P = \(point.region)")
            var count = CountRequest(modelPath: point.modelPath)
            count.target = targetName
            count.deployment = DeploymentOptions(contextTokens: set.contextTokens, slot: SlotShape(width: point.region, height: point.region))
            let compiled = try compileForCalibration(count, target: target)
            let graph = compiled.graph
            guard let estimate = PerformanceEstimate(graph: graph, target: target) else { throw .error(DriverFailure.invariant, "internal: no schedule", at: nil) }
            let sim = compiled.simulation
            let clock = target.clockMHz * 1e6
            let analytic = estimate.decoderLayerCycles > 0 ? clock / Double(estimate.decoderLayerCycles) : 0
            let simulated = sim.decoderLayerCycles > 0 ? clock / Double(sim.decoderLayerCycles) : 0
            // The fit's terms: the schedule again at 1 MAC per cycle without relay cost or
            // overhead, and with one cycle per relay stage.
            let base = try layerTerms(graph, target: target, deployment: count.deployment, relay: 0)
            let withRelay = try layerTerms(graph, target: target, deployment: count.deployment, relay: 1)
            points.append(.init(model: graph.name, layers: estimate.decoderLayers, region: point.region, measuredTokensPerS: point.measuredTokensPerS,
                                analyticTokensPerS: analytic, simulatedTokensPerS: simulated, wholeModelTokensPerS: estimate.tokensPerS,
                                wafers: graph.partition?.stages.count ?? 0, macCycles: base.compute, relayStages: withRelay.layers - base.layers,
                                otherCycles: base.layers - base.compute))
        }
        var fit: CalibrationReport.Fit?, heldOut: CalibrationHoldOut?
        if request.fit {
            fit = try CalibrationFit(points.map(\.term), clockMHz: target.clockMHz)
            heldOut = try CalibrationHoldOut.leaveOneModelOut(points.map(\.term), clockMHz: target.clockMHz)
        }
        var own: [CalibrationReport.Own] = []
        if request.ownMapping {
            var seen: [String] = []
            for point in set.points where !seen.contains(point.modelPath) {
                seen.append(point.modelPath)
                progress("\(point.modelName): the compiler's own mapping")
                let published = set.points.filter { $0.modelPath == point.modelPath }.max { $0.measuredTokensPerS < $1.measuredTokensPerS } ?? point
                var count = CountRequest(modelPath: point.modelPath)
                count.target = targetName
                count.deployment = DeploymentOptions(contextTokens: set.contextTokens)
                let compiled = try compileForCalibration(count, target: target)
                guard let estimate = PerformanceEstimate(graph: compiled.graph, target: target), let layout = compiled.graph.layout else {
                    throw .error(DriverFailure.invariant, "internal: no schedule", at: nil)
                }
                let shapes = Set(layout.wafers.map { "\($0.gridColumns)x\($0.gridRows) of \($0.slotWidth)x\($0.slotHeight)" }).sorted()
                let transfers = estimate.handoffCycles + estimate.waferLinkCycles
                own.append(.init(model: compiled.graph.name, publishedBestTokensPerS: published.measuredTokensPerS, publishedBestRegion: published.region,
                                 wafers: layout.wafers.count, slots: shapes.joined(separator: "; "), predictedTokensPerS: estimate.tokensPerS,
                                 simulatedTokensPerS: compiled.simulation.tokensPerS, layersAloneTokensPerS: estimate.decoderLayerTokensPerS,
                                 handoffAndLinkShare: estimate.cyclesPerToken > 0 ? Double(transfers) / Double(estimate.cyclesPerToken) : 0))
            }
        }
        let constants = SchedulePass.constantLines(target)
        let profileFit = fit.flatMap { KernelProfileFit(fit: $0, heldOut: heldOut, hardware: target.hardware) }
        return CalibrationReport(source: set.source, target: target.name, contextTokens: set.contextTokens, constants: constants, points: points,
                                 fit: fit, heldOut: heldOut, own: own, profileFit: profileFit, kernelProfile: target.kernels?.name)
    }

    /// Runs the pipeline through `schedule`, builds the plan in memory and runs the executor's
    /// timing simulation on it (no file is written).
    static func compileForCalibration(_ count: CountRequest, target: Target) throws(DiagnosticError) -> (graph: Graph, simulation: TimingSimulation) {
        let report = try Driver.count(count)
        guard let result = report.results.first else { throw .error(DriverFailure.invariant, "internal: the pipeline produced no result", at: nil) }
        let bytes: Data
        switch BoundedFile.read(path: count.modelPath, maxBytes: YAMLLimits.default.maxFileBytes) {
        case let .success(data): bytes = data
        case let .failure(failure):
            throw .error(DriverFailure.modelUnreadable, "cannot read '\(count.modelPath)': \(BoundedFile.reason(failure, maxBytes: YAMLLimits.default.maxFileBytes))", at: nil)
        }
        let context = report.context
        let plan = try PlanBuilder.build(graph: result.graph, target: report.target, context: context,
                                         provenance: .init(modelPath: count.modelPath, modelBytes: bytes, defects: report.defectSummary,
                                                           wafersRequested: "auto", precision: result.graph.precision.description))
        return (result.graph, TimingSimulation(plan: plan))
    }

    /// The decoder layers' cycles and their MAC cycles when the schedule is re-run with every
    /// MAC rate 1, `relay` cycles per relay stage and no layer overhead. O(phases).
    static func layerTerms(_ graph: Graph, target: Target, deployment: DeploymentOptions, relay: Int) throws(DiagnosticError) -> (layers: Int, compute: Int) {
        var t = target
        t.macsPerCycle = t.macsPerCycle.mapValues { _ in 1 }
        t.relayLatencyCycles = relay
        t.layerOverheadCycles = 0
        var g = graph
        try SchedulePass().run(&g, context: PassContext(target: t, deployment: deployment))
        guard let e = PerformanceEstimate(graph: g, target: t) else { throw .error(DriverFailure.invariant, "internal: no schedule", at: nil) }
        return (e.decoderLayerCycles, e.decoderComputeCycles)
    }
}
