import Foundation
import WaferIR
import WaferExec
import WaferPasses
import WaferPlan
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

    public init(count: CountRequest) { self.count = count }

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
    public var report: CountReport
    public var quality: PlacementQuality?
    /// Problems the plan's consistency check found (empty: the plan checks out).
    public var problems: [String]
    /// The embedded executor's verdict on the plan as read back (structure, numeric check,
    /// timing simulation).
    public var execution: Executor.Report
    public var timings: [StepTiming]
    public var totalSeconds: Double
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
            throw .error("compile takes one --precision (a plan holds one storage format policy)", at: nil)
        }
        var countRequest = request.count
        countRequest.lastPass = "schedule"
        let clock = ContinuousClock()
        let start = clock.now
        let report = try count(countRequest, dump: dump, progress: progress)
        guard let result = report.results.first else { throw .error("internal: the pipeline produced no result", at: nil) }
        var timings = result.timings

        progress("emit plan")
        let emitStart = clock.now
        let modelBytes: Data
        switch BoundedFile.read(path: request.count.modelPath, maxBytes: YAMLLimits.default.maxFileBytes) {
        case let .success(data): modelBytes = data
        case let .failure(failure):
            throw .error("cannot read '\(request.count.modelPath)' again to fingerprint it: \(BoundedFile.reason(failure, maxBytes: YAMLLimits.default.maxFileBytes))", at: nil)
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
        // Two lanes at once: one writes the plan, reads the file back as an executor would and
        // compares it with what was written; the other runs `PlanCheck` and the executor
        // (structure, numerics: whole model when small, two sampled units otherwise; the timing
        // simulation) on the plan in memory. When the file reads back equal, both verdicts hold
        // for the file. Their step times overlap (docs/performance.md).
        progress("write plan, check plan, execute plan")
        let planPath = request.planPath ?? CompileRequest.defaultPlanPath(model: request.count.modelPath)
        var options = Executor.Options()
        options.numeric = true
        options.timing = true
        options.seed = report.deployment.seed
        options.largeModelSample = 2
        let executorOptions = options
        enum Lane: Sendable {
            case file(Result<(bytes: Int, sameAsWritten: Bool, steps: [StepTiming]), DiagnosticError>)
            case checks(problems: [String], execution: Executor.Report, check: StepTiming)
        }
        let lanes = parallelMap(2) { lane -> Lane in
            let clock = ContinuousClock()
            if lane == 0 {
                do throws(DiagnosticError) {
                    let writeStart = clock.now
                    let bytes = try PlanIO.write(plan, to: planPath)
                    let written = StepTiming(name: "write plan", seconds: (clock.now - writeStart).seconds)
                    let readStart = clock.now
                    let reread = try PlanIO.read(path: planPath)
                    let same = reread == plan
                    return .file(.success((bytes, same, [written, StepTiming(name: "read plan back", seconds: (clock.now - readStart).seconds)])))
                } catch {
                    return .file(.failure(error))
                }
            }
            let checkStart = clock.now
            let problems = PlanCheck.problems(plan)
            let check = StepTiming(name: "check plan", seconds: (clock.now - checkStart).seconds)
            return .checks(problems: problems, execution: Executor.run(plan, options: executorOptions), check: check)
        }
        guard lanes.count == 2, case let .file(fileResult) = lanes[0], case let .checks(checkProblems, execution, check) = lanes[1] else {
            throw .error("internal: the compile's check lanes returned out of order", at: nil)
        }
        let file = try fileResult.get()
        let planBytes = file.bytes
        var problems: [String] = []
        if !file.sameAsWritten { problems.append("the plan read back from \(planPath) differs from the one written") }
        problems += checkProblems
        timings += file.steps + [check] + Self.executorSteps(execution)

        let quality = PlacementQuality(graph: result.graph, target: report.target, defects: report.defects,
                                       promptTokens: report.deployment.promptTokens)
        let total = (clock.now - start).seconds
        if let reportPath = request.reportPath {
            let json = CompileReport(plan: plan, planPath: planPath, planBytes: planBytes, quality: quality, problems: problems,
                                     execution: execution, timings: timings, totalSeconds: total, attempts: result.attempts).json()
            do throws(AtomicFile.WriteError) {
                try AtomicFile.write(json, to: reportPath)
            } catch {
                throw .error(error.description, at: nil)
            }
        }
        return CompileResult(plan: plan, planPath: planPath, planBytes: planBytes, report: report, quality: quality, problems: problems,
                             execution: execution, timings: timings, totalSeconds: total)
    }
}
