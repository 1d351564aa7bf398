import ArgumentParser
import Foundation
import WaferMap
import WaferReport
import WaferPlan
import WaferSupport

struct CompileCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "compile",
        abstract: "Compile a model into a checked placement plan (docs/plan-format.md).")

    @Argument(help: "The model: a model description (YAML) or a Hugging Face config.json.")
    var model: String

    @OptionGroup var deployment: DeploymentFlags

    @Option(name: [.customShort("o"), .customLong("output")], help: ArgumentHelp("Where to write the plan (default: MODEL-NAME.plan.json here).", valueName: "plan"))
    var output: String?

    @Option(help: ArgumentHelp("Also write a JSON report: resources used per wafer, quality figures, the check, wall time per stage.", valueName: "report.json"))
    var report: String?

    @Option(help: ArgumentHelp("Also draw each wafer and an overview as SVG files into this directory.", valueName: "dir"))
    var svg: String?

    @OptionGroup var pipeline: PipelineFlags

    @Option(help: "Output on stdout: text (the summary) or json (the report --report writes).")
    var format: String = "text"

    func run() throws {
        try runReportingErrors { () throws(DiagnosticError) in
            guard format == "text" || format == "json" else { throw .error("--format '\(format)': expected text or json", at: nil) }
            if pipeline.stopAfter != nil { throw .error("compile runs every pass; --stop-after belongs to count and place", at: nil) }
            var request = CompileRequest(count: try deployment.request(model: model))
            request.count.instrumentation = pipeline.instrumentation
            request.planPath = output
            request.reportPath = report
            request.svgDirectory = svg
            let progress = processProgress
            let result = try Driver.compile(request, dump: { writeStderr($0.rendered) }, progress: { progress($0) })
            progress.finish()
            writeStdout(format == "json" ? result.reportJSON : CompileSummary.render(result, reportPath: report))
            if pipeline.timing { writeStderr(TimingReport.render(result.timings, wallSeconds: result.totalSeconds)) }
            if let failure = result.failure { throw failure }
        }
    }
}

struct CheckPlanCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "check-plan",
        abstract: "Read a plan and run its consistency checks.")

    @Argument(help: "The plan (JSON).")
    var plan: String

    func run() throws {
        try runReportingErrors { () throws(DiagnosticError) in
            let plan = try PlanIO.read(path: self.plan)
            let problems = PlanCheck.problems(plan)
            guard problems.isEmpty else {
                throw DiagnosticError(Diagnostic(.error, "\(self.plan) failed its consistency check (\(problems.count) problem\(problems.count == 1 ? "" : "s"))", at: nil,
                                                 notes: problems.map { .note($0) }))
            }
            writeStdout("\(self.plan): consistent (format \(plan.formatVersion), written by wafermap \(plan.compilerVersion)): \(plan.inputs.modelName) on \(plan.summary.wafers) x \(plan.target.name), \(Units.fixed(plan.summary.tokensPerS, digits: 1)) tokens/s per user predicted\n")
        }
    }
}

struct RenderCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "render",
        abstract: "Draw a plan's wafers and an overview as SVG files.")

    @Argument(help: "The plan (JSON).")
    var plan: String

    @Option(help: ArgumentHelp("The directory for the SVG files (created if missing).", valueName: "dir"))
    var svg: String

    func run() throws {
        try runReportingErrors { () throws(DiagnosticError) in
            let files = try Driver.render(planPath: self.plan, to: svg)
            writeStdout("wrote \(files.count) SVG files to \(svg): \(files.map { ($0 as NSString).lastPathComponent }.joined(separator: ", "))\n")
        }
    }
}

struct CheckCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "check",
        abstract: "Run a plan on the embedded executor: structure, numerics, timing, faults (docs/executor.md).")

    @Argument(help: "The plan (JSON).")
    var plan: String

    @Option(help: ArgumentHelp("A defect map of the wafers as they are now; PEs and links it adds are faults.", valueName: "file"))
    var defects: String?

    @Flag(help: "Run the numeric check: the whole model for small models, sampled units for large ones.")
    var numeric = false

    @Option(help: ArgumentHelp("Numeric check on this many randomly chosen decoder units (weights generated on the fly).", valueName: "K"))
    var sample: Int?

    @Option(help: "Decode steps of the full numeric check.")
    var steps = 4

    @Flag(help: "Run the event-driven timing simulation and compare it with the compiler's estimate.")
    var timing = false

    @Option(name: .customLong("kill-pe"), help: ArgumentHelp("Kill a PE of the simulated wafer: WAFER:X,Y. Repeatable.", valueName: "W:X,Y"))
    var killPE: [String] = []

    @Option(help: ArgumentHelp("Kill each PE with this probability (drawn from --seed).", valueName: "rate"))
    var faultRate: Double?

    @Option(help: "Seed of the synthetic weights, tokens, sampling and faults.")
    var seed: UInt64 = 1

    @Option(help: "Output: text or json.")
    var format: String = "text"

    func run() throws {
        var passed = true
        try runReportingErrors { () throws(DiagnosticError) in
            guard format == "text" || format == "json" else { throw .error("--format '\(format)': expected text or json", at: nil) }
            guard steps >= 1, steps <= 4096 else { throw .error("--steps \(steps): expected 1 to 4096", at: nil) }
            if let sample, sample < 1 { throw .error("--sample \(sample): expected at least 1", at: nil) }
            var request = CheckRequest(planPath: plan)
            request.defectsPath = defects
            request.killPEs = killPE
            request.faultRate = faultRate
            request.options.numeric = numeric || sample != nil
            request.options.sample = sample
            request.options.steps = steps
            request.options.timing = timing
            request.options.seed = seed
            let progress = processProgress
            progress("running the plan on the executor")
            let result = try Driver.check(request)
            progress.finish()
            writeStdout(format == "json" ? CheckRendering.json(result, path: plan) : CheckRendering.text(result, path: plan))
            passed = result.report.passed
        }
        if !passed { throw ExitCode(ExitStatus.inputError) }
    }
}

struct CalibrateCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "calibrate",
        abstract: "Predict published wafer decode measurements on their own mapping, fit the target constants, and compare the compiler's mapping.")

    @Argument(help: "A calibration file (default: WaferLLM's WSE-2 measurements shipped in examples/calibration).")
    var file: String = "examples/calibration/waferllm-wse2.yaml"

    @Option(help: "A target name or file to use instead of the calibration file's (to try other constants).")
    var target: String?

    @Flag(help: "Fit the sustained MACs per cycle, relay cycles and layer overhead to the points by least squares.")
    var fit = false

    @Flag(name: .customLong("no-own-mapping"), help: "Skip compiling each model with the compiler's own mapping.")
    var noOwnMapping = false

    @Option(help: "Output: text or json.")
    var format: String = "text"

    func run() throws {
        try runReportingErrors { () throws(DiagnosticError) in
            guard format == "text" || format == "json" else { throw .error("--format '\(format)': expected text or json", at: nil) }
            let progress = processProgress
            var request = CalibrationRequest(path: file)
            request.target = target
            request.fit = fit
            request.ownMapping = !noOwnMapping
            let report = try Driver.calibrate(request, progress: { progress($0) })
            progress.finish()
            writeStdout(format == "json" ? report.json() : report.text())
        }
    }
}
