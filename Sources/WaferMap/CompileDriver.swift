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

/// Everything `wafermap compile` needs besides the model.
public struct CompileRequest: Sendable {
    public var count: CountRequest
    /// Where the plan goes; nil: `<model file name without extension>.plan.json` in the working directory.
    public var planPath: String?
    /// Where the JSON report goes, if anywhere.
    public var reportPath: String?
    /// The directory the SVG pictures go to (created when missing), if anywhere.
    public var svgDirectory: String?

    public init(count: CountRequest) { self.count = count }

    /// The plan's path: `planPath`, or the default one for the model.
    public var resolvedPlanPath: String { planPath ?? Self.defaultPlanPath(model: count.modelPath) }

    /// Every output of the run with its flag, and every file the run reads: what
    /// `OutputPaths.problem` checks before any pass runs.
    var outputs: [OutputPaths.Output] {
        var list = [OutputPaths.Output(path: resolvedPlanPath, flag: planPath == nil ? "the default plan path" : "-o")]
        if let reportPath { list.append(.init(path: reportPath, flag: "--report")) }
        if let svgDirectory { list.append(.init(path: svgDirectory, flag: "--svg", isDirectory: true)) }
        return list
    }

    var inputs: [String] {
        var list = [count.modelPath]
        if FileManager.default.fileExists(atPath: count.target) { list.append(count.target) }
        if case let .file(path) = count.defects { list.append(path) }
        return list
    }

    /// The plan path for a model path when none is given.
    public static func defaultPlanPath(model: String) -> String {
        var name = URL(fileURLWithPath: model).lastPathComponent
        for suffix in [".yaml", ".yml", ".json"] where name.hasSuffix(suffix) { name = String(name.dropLast(suffix.count)); break }
        return (name.isEmpty ? "model" : name) + ".plan.json"
    }
}

/// The outcome of a compile: the plan as written, where, what its check found, and the timings.
public struct CompileResult: Sendable {
    public var plan: Plan
    public var planPath: String
    public var planBytes: Int
    /// The SVG files written (empty without `--svg`).
    public var pictures: [String]
    public var report: CountReport
    public var quality: PlacementQuality?
    /// Problems the plan's consistency check found (empty: the plan checks out).
    public var problems: [String]
    /// The embedded executor's verdict on the plan as read back (structure, numeric check,
    /// timing simulation).
    public var execution: Executor.Report
    public var timings: [StepTiming]
    public var totalSeconds: Double
    /// Whether the plan passed every check (its consistency check and the executor) and was
    /// written with its report and pictures; false: nothing was written.
    public var written: Bool { problems.isEmpty && execution.passed }
}

extension Driver {
    /// The executor's run as three steps: the structural check (fabric, route replay,
    /// placement, schedule), the numeric sample check and the timing simulation; each step's
    /// peak memory is the last of its parts'.
    static func executorSteps(_ report: Executor.Report) -> [StepTiming] {
        let groups: [(String, Set<String>)] = [("structural check", ["fabric", "routes", "placement", "schedule"]),
                                               ("numeric check", ["numeric"]), ("timing simulation", ["timing"])]
        return groups.compactMap { name, parts in
            let stages = report.stages.filter { parts.contains($0.name) }
            guard let last = stages.last else { return nil }
            return StepTiming(name: name, seconds: stages.reduce(0) { $0 + $1.seconds }, peakResidentBytes: last.peakResidentBytes)
        }
    }

    /// Model -> every pass -> plan (written atomically) -> the plan read back and checked.
    /// `progress` receives each stage's name as it starts.
    public static func compile(_ request: CompileRequest, dump: (IRDump) -> Void = { _ in },
                               progress: (String) -> Void = { _ in }) throws(DiagnosticError) -> CompileResult {
        guard request.count.precisions.count <= 1 else {
            throw .error(DriverFailure.flagConflict, "compile takes one --precision (a plan holds one storage format policy)", at: nil)
        }
        if let problem = OutputPaths.problem(outputs: request.outputs, inputs: request.inputs) {
            throw .error(DriverFailure.outputPath, problem, at: nil)
        }
        var countRequest = request.count
        countRequest.lastPass = "schedule"
        let clock = ContinuousClock()
        let start = clock.now
        let report = try count(countRequest, dump: dump, progress: progress)
        guard let result = report.results.first else { throw .error(DriverFailure.invariant, "internal: the pipeline produced no result", at: nil) }
        var timings = result.timings

        progress("emit plan")
        let emitStart = clock.now
        let modelBytes: Data
        switch BoundedFile.read(path: request.count.modelPath, maxBytes: YAMLLimits.default.maxFileBytes) {
        case let .success(data): modelBytes = data
        case let .failure(failure):
            throw .error(DriverFailure.modelUnreadable, "cannot read '\(request.count.modelPath)' again to fingerprint it: \(BoundedFile.reason(failure, maxBytes: YAMLLimits.default.maxFileBytes))", at: nil)
        }
        let context = report.context
        let wafersRequested: String
        switch report.deployment.wafers {
        case .auto: wafersRequested = "auto"
        case let .exactly(n): wafersRequested = "\(n)"
        }
        let plan = try PlanBuilder.build(graph: result.graph, target: report.target, context: context,
                                         provenance: .init(modelPath: request.count.modelPath, modelBytes: modelBytes, defects: report.defectSummary,
                                                           wafersRequested: wafersRequested, precision: result.graph.precision.description))
        timings.append(StepTiming(name: "emit plan", seconds: (clock.now - emitStart).seconds))
        // Two lanes at once, both on the plan in memory: one encodes it and decodes the bytes
        // with the plan reader (its limits included), as an executor reading the file would;
        // the other runs `PlanCheck` and the executor (structure, numerics: whole model when
        // small, two sampled units otherwise; the timing simulation). Nothing is written until
        // both pass: a plan its own reader rejects is a compiler bug (exit 70), a plan that
        // fails its check is reported, and neither replaces a file at the output path. Their
        // step times overlap (docs/performance.md).
        progress("encode and read back plan, check plan, execute plan")
        let planPath = request.resolvedPlanPath
        var options = Executor.Options()
        options.numeric = true
        options.timing = true
        options.seed = report.deployment.seed
        options.largeModelSample = 2
        let executorOptions = options
        enum Lane: Sendable {
            case file(Result<(data: Data, sameAsBuilt: Bool, steps: [StepTiming]), DiagnosticError>)
            case checks(problems: [String], execution: Executor.Report, check: StepTiming)
        }
        let lanes = parallelMap(2) { lane -> Lane in
            let clock = ContinuousClock()
            if lane == 0 {
                do throws(DiagnosticError) {
                    let encodeStart = clock.now
                    let data = try PlanIO.encode(plan)
                    let encoded = StepTiming(name: "encode plan", seconds: (clock.now - encodeStart).seconds)
                    let readStart = clock.now
                    let reread = try PlanIO.decode(data, file: planPath)
                    return .file(.success((data, reread == plan, [encoded, StepTiming(name: "read plan back", seconds: (clock.now - readStart).seconds)])))
                } catch {
                    return .file(.failure(error))
                }
            }
            let checkStart = clock.now
            let problems = PlanCheck.problems(plan)
            let check = StepTiming(name: "check plan", seconds: (clock.now - checkStart).seconds)
            return .checks(problems: problems, execution: Executor.run(plan, options: executorOptions), check: check)
        }
        guard lanes.count == 2, case let .file(fileResult) = lanes[0], case let .checks(problems, execution, check) = lanes[1] else {
            throw .error(DriverFailure.invariant, "internal: the compile's check lanes returned out of order", at: nil)
        }
        let file: (data: Data, sameAsBuilt: Bool, steps: [StepTiming])
        switch fileResult {
        case let .success(value): file = value
        case let .failure(error):
            throw .error(DriverFailure.invariant, "internal: the compiler built a plan its own reader rejects, so nothing was written: \(error.description)", at: nil)
        }
        guard file.sameAsBuilt else {
            throw .error(DriverFailure.invariant, "internal: the plan read back from its own bytes differs from the plan built, so nothing was written", at: nil)
        }
        timings += file.steps + [check] + Self.executorSteps(execution)

        let quality = PlacementQuality(graph: result.graph, target: report.target, defects: report.defects,
                                       promptTokens: report.deployment.promptTokens)
        var compiled = CompileResult(plan: plan, planPath: planPath, planBytes: file.data.count, pictures: [], report: report, quality: quality,
                                     problems: problems, execution: execution, timings: timings, totalSeconds: (clock.now - start).seconds)
        if compiled.written {
            // Plan, report and pictures are staged in full, then renamed into place together.
            let writeStart = clock.now
            var staged = StagedFiles()
            do throws(StagedFiles.Failure) {
                try staged.stage(file.data, to: planPath)
                if let reportPath = request.reportPath { try staged.stage(compiled.reportJSON, to: reportPath) }
                if let directory = request.svgDirectory { compiled.pictures = try stagePictures(plan, to: directory, in: &staged) }
                try staged.commit()
            } catch {
                staged.discard()
                throw .error(DriverFailure.write, error.description, at: nil)
            }
            compiled.timings.append(StepTiming(name: "write plan", seconds: (clock.now - writeStart).seconds))
        }
        compiled.totalSeconds = (clock.now - start).seconds
        return compiled
    }
}

extension CompileResult {
    /// The JSON report (what `--report` writes and `compile --format json` prints).
    public var reportJSON: String {
        CompileReport(plan: plan, planPath: planPath, planBytes: planBytes, quality: quality, problems: problems, execution: execution,
                      timings: timings, totalSeconds: totalSeconds,
                      options: report.context.options, speculative: report.results.first?.speculative).json()
    }

    /// Why the compile failed although the pipeline ran (the plan fails its consistency check
    /// or the executor rejects it; nothing was written), or nil. Exit status 1: the usual cause
    /// is the input (defects no route gets around), and the notes say what failed.
    public var failure: DiagnosticError? {
        if !problems.isEmpty {
            return DiagnosticError(Diagnostic(.error, DriverFailure.planCheck, "the plan for \(planPath) failed its consistency check (\(problems.count) problem\(problems.count == 1 ? "" : "s")); nothing was written", at: nil,
                                              notes: problems.map { .note($0) }))
        }
        if !execution.passed {
            let items = execution.violations.items
            var notes = items.prefix(20).map { Diagnostic.note("\($0.category.rawValue): \($0.message)") }
            if let n = execution.numeric, !n.passed { notes.append(.note("numeric: the decode step disagrees with the dense reference (max relative error \(n.relativeError))")) }
            return DiagnosticError(Diagnostic(.error, DriverFailure.executorRejects, "the executor rejects the plan for \(planPath) (\(execution.violations.total) violation\(execution.violations.total == 1 ? "" : "s")); nothing was written", at: nil,
                                              notes: notes))
        }
        return nil
    }
}
