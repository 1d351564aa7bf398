import WaferFrontend
import WaferIR
import WaferPasses
import WaferPerf
import WaferReport
import WaferSupport
import WaferTarget

/// Everything `wafermap count` needs besides the model.
public struct CountRequest: Sendable {
    public var modelPath: String
    /// A built-in target name or a target YAML file.
    public var target: String = BuiltinTargets.defaultName
    /// A kernel profile (built-in name or file) replacing the target's default; nil keeps it.
    public var kernels: String?
    /// Storage formats to size the model at; empty means the model file's own precision.
    public var precisions: [NumberFormat] = []
    public var deployment = DeploymentOptions()
    public var defects: DefectRequest = .none
    /// `--repair`: nil repairs with the target's spare rows when it has them (`RepairMode.standard`).
    public var repair: RepairMode?, nestedMaxRate: Double?
    public var instrumentation = PassInstrumentation()
    /// The last pass to run: `place` sizes and places (what `count` needs), `schedule` also
    /// routes and times a decode step (the default).
    public var lastPass = "schedule"
    /// The algorithms' knobs (`--pass-option`, `--pass-options`); the default is today's behaviour.
    public var passOptions = PassOptions()
    /// Speculative decoding to estimate beside the plain decode; a model already built (a draft) to use instead of `modelPath`.
    public var speculative: SpeculativeRequest?, model: Graph?

    public init(modelPath: String) { self.modelPath = modelPath }
}

extension Driver {
    /// Runs the front end and the passes through `request.lastPass` (all of them by default:
    /// assign-precision, partition, tile, place, route, schedule) for each requested precision.
    public static func count(_ request: CountRequest, dump: (IRDump) -> Void = { _ in },
                             progress: (String) -> Void = { _ in }) throws(DiagnosticError) -> CountReport {
        for name in request.instrumentation.printBefore.sorted() { try PassRegistry.validate(name, flag: "--print-ir-before") }
        for name in request.instrumentation.printAfter.sorted() { try PassRegistry.validate(name, flag: "--print-ir-after") }
        let deployment = request.deployment
        if deployment.contextTokens < 1 || deployment.contextTokens > 1 << 30 {
            throw .error(DriverFailure.flagValue, "--context must be between 1 and \(Units.grouped(1 << 30)) tokens", at: nil)
        }
        if deployment.batch < 1 || deployment.batch > 1 << 20 {
            throw .error(DriverFailure.flagValue, "--batch must be between 1 and \(Units.grouped(1 << 20))", at: nil)
        }
        if let n = deployment.sequences, n < deployment.batch || n > 1 << 20 {
            throw .error(DriverFailure.flagValue, "--sequences must be between --batch (\(deployment.batch)) and \(Units.grouped(1 << 20))", at: nil)
        }
        if case let .exactly(n) = deployment.wafers, n < 1 || n > DefectMapIO.maxWafers {
            throw .error(DriverFailure.flagValue, "--wafers must be 'auto' or between 1 and \(DefectMapIO.maxWafers)", at: nil)
        }
        let passes = try PassRegistry.pipeline(through: request.lastPass)
        guard passes.contains(where: { $0 is PartitionPass }) else {
            throw .error(DriverFailure.flagConflict, "--stop-after \(request.lastPass) stops before the partition this command reports", at: nil,
                         notes: [.note("`wafermap ir MODEL --stop-after \(request.lastPass)` prints the IR at that point; `wafermap stats` reports the front half")])
        }
        let target = try BuiltinTargets.resolve(request.target, kernels: request.kernels)
        var fixed: Int? = nil
        if case let .exactly(n) = deployment.wafers { fixed = n }
        let (defects, summary) = try DefectSources.source(request.defects, target: target, deploymentSeed: deployment.seed, repair: request.repair,
                                                          nestedMaxRate: request.nestedMaxRate, wafers: fixed)
        let context = PassContext(target: target, defects: defects, deployment: deployment, options: request.passOptions)
        let clock = ContinuousClock()
        let start = clock.now
        let base: Graph
        if let model = request.model { base = model } else { base = try ModelLoader.load(path: request.modelPath) }
        let frontEnd = StepTiming(name: "front end (parse, lower, verify)", seconds: (clock.now - start).seconds)

        var results: [CountResult] = []
        let variants: [NumberFormat?] = request.precisions.isEmpty ? [nil] : request.precisions
        for variant in variants {
            var graph = base
            var label = "as in the model: \(graph.precision.description)"
            if let format = variant {
                applyPrecision(format, to: &graph)
                label = format.description
            }
            let manager = PassManager(passes: passes, instrumentation: request.instrumentation)
            let pipelineStart = clock.now
            let run: (graph: Graph, timings: [StepTiming])
            do {
                run = try pipeline(graph, manager: manager, context: context, dump: dump, progress: progress)
            } catch {
                throw tooFewWafers(error, graph: graph, context: context)
            }
            graph = run.graph
            let timings = [frontEnd] + run.timings
            let statistics: ModelStatistics
            do {
                statistics = try graph.statistics()
            } catch {
                throw .error(ModelFailure.overflow, "the model's total \(error.what) overflow 64-bit integers", at: .startOf(request.modelPath))
            }
            guard let partition = graph.partition else {
                throw .error(DriverFailure.invariant, "internal: the partition pass left no partition", at: nil)
            }
            results.append(CountResult(precisionLabel: label, graph: graph, statistics: statistics, partition: partition,
                                       timings: timings,
                                       totalSeconds: frontEnd.seconds + (clock.now - pipelineStart).seconds))
        }
        return try CountReport(target: target, defects: defects, defectSummary: summary, deployment: deployment, results: results, context: context)
            .adding(speculativeDrafts(request))
    }

    /// Runs `manager` on `unpartitioned` once: the partition packs only where the pieces tile
    /// (`WaferFit`), so no wafer overflows its tiles. The graph and the pass timings.
    static func pipeline(_ unpartitioned: Graph, manager: PassManager, context: PassContext, dump: (IRDump) -> Void,
                         progress: (String) -> Void) throws(DiagnosticError) -> (graph: Graph, timings: [StepTiming]) {
        var graph = unpartitioned
        let timings = try manager.run(&graph, context: context, dump: dump, progress: progress)
        return (graph, timings)
    }

    /// With `--wafers N`, or a defect map of N wafers, a failure may only mean that N is too
    /// few, and the partition's own count of what is needed packs bytes without tile padding
    /// (so it says 30 where tiling needs 32). Counts the wafers as `--wafers auto` does, through
    /// `tile` (wafers beyond a map defect-free, as the partition
    /// assumes when it counts); when that needs more than N, the error says so with that
    /// count. Otherwise (that count fails too, or fits in N) the original error stands. Runs
    /// only after a failure.
    static func tooFewWafers(_ error: DiagnosticError, graph: Graph, context: PassContext) -> DiagnosticError {
        guard !error.diagnostics.contains(where: ExitStatus.isInternal) else { return error }
        var auto = context
        auto.deployment.wafers = .auto
        let given: Int, reason: String
        switch (context.deployment.wafers, context.defects) {
        case let (.exactly(n), _):
            given = n
            reason = "--wafers \(n) was given"
        case let (.auto, .map(map)):
            given = map.waferCount
            reason = "the defect map describes \(Units.count(map.waferCount, "wafer"))"
            let padded = map.wafers + Array(repeating: WaferDefects.none, count: max(0, DefectMapIO.maxWafers - map.waferCount))
            auto.defects = .map(DefectMap(targetName: map.targetName, fabricWidth: map.fabricWidth, fabricHeight: map.fabricHeight, wafers: padded))
        default:
            return error
        }
        guard let passes = try? PassRegistry.pipeline(through: "tile") else { return error }
        let manager = PassManager(passes: passes)
        guard let run = try? pipeline(graph, manager: manager, context: auto, dump: { _ in }, progress: { _ in }),
              let partition = run.graph.partition, partition.stages.count > given else { return error }
        let d = context.deployment
        let target = context.target?.name ?? partition.targetName
        return DiagnosticError(Diagnostic(.error, PassFailure.tooFewWafers, "\(graph.name) needs \(partition.stages.count) \(target) wafers at context \(d.contextTokens) x batch \(d.batch) (lower bound \(partition.lowerBoundWafers)), but \(reason)", at: nil,
                                          notes: [.note("counted as --wafers auto does, tile padding included")]))
    }

    /// What `--precision FORMAT` does to a model: every matrix stored as `format`, the model's
    /// per-op overrides dropped.
    static func applyPrecision(_ format: NumberFormat, to graph: inout Graph) {
        graph.precision = PrecisionPolicy(matrixDefault: format)
        for index in graph.ops.indices { graph.ops[index].precisionOverride = nil }
    }

    /// With `--speculative`, the draft (`DraftModels.choose`) compiled like the model (target,
    /// precisions, pass options, deployment) on wafers of its own (`auto`, no slot, no defects). O(its compile).
    static func speculativeDrafts(_ request: CountRequest) throws(DiagnosticError) -> SpeculativeDrafts? {
        guard let speculative = request.speculative else { return nil }
        if request.lastPass != "schedule" { throw .error(DriverFailure.flagConflict, "--speculative needs the decode estimate: use it with count --perf, compile or sweep", at: nil) }
        let source = try DraftModels.choose(speculative.draft, targetPath: request.modelPath)
        var draft = request
        (draft.speculative, draft.model, draft.defects, draft.instrumentation, draft.deployment.wafers, draft.deployment.slot) = (nil, try ModelLoader.build(source.spec), .none, PassInstrumentation(), .auto, nil)
        do { return try SpeculativeDrafts(graphs: count(draft).results.map(\.graph), kind: DraftKind(rawValue: source.kind.rawValue) ?? .model, reason: source.reason, sharesEmbedding: source.sharesEmbedding, request: speculative) } catch {
            var e = error; if !e.diagnostics.isEmpty { e.diagnostics[0].notes.append(.note("while compiling the draft \(source.spec.name) for --speculative")) }; throw e
        }
    }
}
