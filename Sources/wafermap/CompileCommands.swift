import ArgumentParser
import Foundation
import WaferMap
import WaferReport
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

    @Option(help: ArgumentHelp("Also draw each wafer, the time split per wafer and an overview as SVG files into this directory.", valueName: "dir"))
    var svg: String?

    @OptionGroup var pipeline: PipelineFlags

    @Option(help: "Output on stdout: text (the summary) or json (the report --report writes).")
    var format: String = "text"

    func run() throws {
        try runReportingErrors { () throws(DiagnosticError) in
            let format = try OutputFormat(flag: format)
            try CompileRequest.refuseStopAfter(pipeline.stopAfter)
            var request = CompileRequest(count: try deployment.request(model: model))
            request.count.instrumentation = pipeline.instrumentation
            request.count.passOptions = try pipeline.passOptions.resolve()
            request.planPath = output
            request.reportPath = report
            request.svgDirectory = svg
            let result = try withProgress { progress throws(DiagnosticError) in
                try Driver.compile(request, dump: { writeStderr($0.rendered) }, progress: progress)
            }
            writeStdout(format == .json ? result.reportJSON : CompileSummary.render(result, reportPath: report))
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
            writeStdout(try Driver.checkPlan(path: plan))
        }
    }
}

struct RenderCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "render",
        abstract: "Draw a plan's wafers, its time split per wafer and an overview as SVG files.")

    @Argument(help: "The plan (JSON).")
    var plan: String

    @Option(help: ArgumentHelp("The directory for the SVG files (created if missing).", valueName: "dir"))
    var svg: String

    func run() throws {
        try runReportingErrors { () throws(DiagnosticError) in
            writeStdout(Driver.renderSummary(files: try Driver.render(planPath: plan, to: svg), directory: svg))
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

    @Option(help: ArgumentHelp("Threads for the per-wafer checks; default: the processor count. The findings do not depend on it.", valueName: "n"))
    var threads: Int?

    func run() throws {
        var passed = true
        try runReportingErrors { () throws(DiagnosticError) in
            let format = try OutputFormat(flag: format)
            try ThreadsFlag.apply(threads)
            let request = try CheckRequest(planPath: plan, defectsPath: defects, killPEs: killPE, faultRate: faultRate, numeric: numeric,
                                           sample: sample, steps: steps, timing: timing, seed: seed)
            let result = try withProgress { progress throws(DiagnosticError) in
                progress("running the plan on the executor")
                return try Driver.check(request)
            }
            writeStdout(format == .json ? CheckRendering.json(result, path: plan) : CheckRendering.text(result, path: plan))
            passed = result.report.passed
        }
        if !passed { throw ExitCode(ExitStatus.inputError) }
    }
}

struct CalibrateCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "calibrate",
        abstract: "Predict published wafer decode measurements on their own mapping, fit the target constants, and compare the compiler's mapping.")

    @Argument(help: "A calibration file (default: WaferLLM's WSE-2 measurements shipped in examples/calibration), or with --production a production data file (default: examples/calibration/production-wse3.yaml).")
    var file: String?

    @Option(help: "A target name or file to use instead of the calibration file's (to try other constants).")
    var target: String?

    @Flag(help: "Fit the sustained MACs per cycle, relay cycles and layer overhead to the points by least squares.")
    var fit = false

    @Flag(name: .customLong("no-own-mapping"), help: "Skip compiling each model with the compiler's own mapping.")
    var noOwnMapping = false

    @Flag(help: "Read FILE as published production speeds: predict each row's model on the file's target with the row's kernel profile and print predicted (with its range) beside published, fit set and validation set apart; with --fit, first fit each kernel profile to its own fit rows.")
    var production = false

    @Option(help: "Output: text or json.")
    var format: String = "text"

    func run() throws {
        try runReportingErrors { () throws(DiagnosticError) in
            let format = try OutputFormat(flag: format)
            if production {
                var request = CalibrationRequest(path: file ?? "examples/calibration/production-wse3.yaml")
                request.target = target
                request.fit = fit
                let report = try withProgress { progress throws(DiagnosticError) in try Driver.compareProduction(request, progress: progress) }
                return writeStdout(format == .json ? report.json() : report.text())
            }
            var request = CalibrationRequest(path: file ?? "examples/calibration/waferllm-wse2.yaml")
            request.target = target
            request.fit = fit
            request.ownMapping = !noOwnMapping
            let report = try withProgress { progress throws(DiagnosticError) in try Driver.calibrate(request, progress: progress) }
            writeStdout(format == .json ? report.json() : report.text())
        }
    }
}
