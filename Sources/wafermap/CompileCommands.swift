import ArgumentParser
import Foundation
import WaferMap
import WaferPlan
import WaferSupport

struct CompileCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "compile",
        abstract: "Compile a model into a checked placement plan (docs/plan-format.md).")

    @Argument(help: "The model description (YAML).")
    var model: String

    @OptionGroup var deployment: DeploymentFlags

    @Option(name: [.customShort("o"), .customLong("output")], help: ArgumentHelp("Where to write the plan (default: MODEL-NAME.plan.json here).", valueName: "plan"))
    var output: String?

    @Option(help: ArgumentHelp("Also write a JSON report: resources used per wafer, quality figures, the check, wall time per stage.", valueName: "report.json"))
    var report: String?

    @Option(help: ArgumentHelp("Also draw each wafer and an overview as SVG files into this directory.", valueName: "dir"))
    var svg: String?

    @OptionGroup var pipeline: PipelineFlags

    func run() throws {
        try runReportingErrors { () throws(DiagnosticError) in
            if pipeline.stopAfter != nil { throw .error("compile runs every pass; --stop-after belongs to count and place", at: nil) }
            var request = CompileRequest(count: try deployment.request(model: model))
            request.count.instrumentation = pipeline.instrumentation
            request.planPath = output
            request.reportPath = report
            let terminal = isatty(STDERR_FILENO) == 1
            let result = try Driver.compile(request, dump: { writeStderr($0.rendered) },
                                            progress: { stage in if terminal { writeStderr("wafermap: \(stage)...\n") } })
            writeStdout(CompileSummary.render(result, reportPath: report))
            if let svg {
                let files = try WaferPictures.write(result.plan, to: svg)
                writeStdout("pictures    \(files.count) SVG files in \(svg) (\(files.count - 1) wafers and overview.svg)\n")
            }
            if pipeline.timing { writeStderr(TimingReport.render(result.timings)) }
            if !result.problems.isEmpty {
                throw DiagnosticError(Diagnostic(.error, "the plan written to \(result.planPath) failed its consistency check (\(result.problems.count) problem\(result.problems.count == 1 ? "" : "s"))", at: nil,
                                                 notes: result.problems.map { .note($0) }))
            }
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
            let plan = try PlanIO.read(path: self.plan)
            let files = try WaferPictures.write(plan, to: svg)
            writeStdout("wrote \(files.count) SVG files to \(svg): \(files.map { ($0 as NSString).lastPathComponent }.joined(separator: ", "))\n")
        }
    }
}
