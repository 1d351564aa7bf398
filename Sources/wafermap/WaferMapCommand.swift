import ArgumentParser
import Foundation
import WaferMap
import WaferPasses
import WaferSupport

/// Exit statuses, documented in docs/cli.md.
@main
struct WaferMapCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "wafermap",
        abstract: "Map large language models onto wafer-scale accelerators.",
        version: WaferMapVersion.string,
        subcommands: [CompileCommand.self, CheckCommand.self, RepairCommand.self, CheckPlanCommand.self, RenderCommand.self, IRCommand.self, StatsCommand.self, CountCommand.self, PlaceCommand.self, DefectsCommand.self, TargetsCommand.self,
                      PassesCommand.self, BenchCommand.self, CalibrateCommand.self, SweepCommand.self, ImportCommand.self]
    )
}

/// Flags shared by every command that runs passes.
struct PipelineFlags: ParsableArguments {
    @Flag(name: .customLong("print-ir-after-all"), help: "Print the IR after every pass (to stderr).")
    var printAfterAll = false

    @Option(name: .customLong("print-ir-before"), parsing: .singleValue, help: ArgumentHelp("Print the IR before this pass (to stderr). Repeatable.", valueName: "pass"))
    var printBefore: [String] = []

    @Option(name: .customLong("print-ir-after"), parsing: .singleValue, help: ArgumentHelp("Print the IR after this pass (to stderr). Repeatable.", valueName: "pass"))
    var printAfter: [String] = []

    @Flag(help: "Print each pipeline step's wall time as a table (to stderr).")
    var timing = false

    @Flag(name: .customLong("expand-layers"), help: "Print every decoder layer instead of summarising identical ones.")
    var expandLayers = false

    @Option(name: .customLong("stop-after"), help: ArgumentHelp("Stop the pipeline after this pass (default: run every pass).", valueName: "pass"))
    var stopAfter: String?

    var instrumentation: PassInstrumentation {
        var i = PassInstrumentation()
        i.printAfterAll = printAfterAll
        i.printBefore = Set(printBefore)
        i.printAfter = Set(printAfter)
        i.timing = timing
        i.expandLayers = expandLayers
        return i
    }
}

/// Runs `body`, printing diagnostics to stderr and mapping failures to exit statuses.
func runReportingErrors(_ body: () throws(DiagnosticError) -> Void) throws {
    do {
        try body()
    } catch {
        FileHandle.standardError.write(Data((error.description + "\n").utf8))
        throw ExitCode(ExitStatus.of(error))
    }
}

func writeStdout(_ text: String) {
    FileHandle.standardOutput.write(Data(text.utf8))
}

func writeStderr(_ text: String) {
    FileHandle.standardError.write(Data(text.utf8))
}

struct IRCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "ir",
        abstract: "Print a model's IR after the pipeline (front end, assign-precision, partition).")

    @Argument(help: "The model: a model description (YAML) or a Hugging Face config.json.")
    var model: String

    @OptionGroup var deployment: DeploymentFlags
    @OptionGroup var pipeline: PipelineFlags

    func run() throws {
        try runReportingErrors { () throws(DiagnosticError) in
            let report = try deployment.run(model: model, pipeline: pipeline)
            for result in report.results {
                writeStdout(Driver.printIR(result.graph, expandLayers: pipeline.expandLayers))
                if pipeline.timing { writeStderr(TimingReport.render(result.timings)) }
            }
        }
    }
}

struct StatsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "stats",
        abstract: "Print exact parameter counts and weight bytes of a model.")

    enum Format: String, ExpressibleByArgument, CaseIterable {
        case table, json
    }

    @Argument(help: "The model: a model description (YAML) or a Hugging Face config.json.")
    var model: String

    @Option(help: "Output format: table or json.")
    var format: Format = .table

    @OptionGroup var pipeline: PipelineFlags

    func run() throws {
        try runReportingErrors { () throws(DiagnosticError) in
            let result = try Driver.frontHalf(modelPath: model, instrumentation: pipeline.instrumentation,
                                              warn: { warning in writeStderr(warning.description + "\n") },
                                              dump: { dump in writeStderr(dump.rendered) })
            switch format {
            case .table: writeStdout(StatsReport.table(result.statistics, graph: result.graph))
            case .json: writeStdout(StatsReport.json(result.statistics, graph: result.graph))
            }
            if pipeline.timing { writeStderr(TimingReport.render(result.timings)) }
        }
    }
}

struct PassesCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "passes",
        abstract: "List the registered passes in pipeline order.")

    func run() throws {
        var table = TextTable([("pass", .left), ("summary", .left)])
        for pass in PassRegistry.all { table.add([pass.name, pass.summary]) }
        writeStdout(table.render(indent: ""))
    }
}
