import ArgumentParser
import Foundation
import WaferMap
import WaferReport
import WaferPasses
import WaferSupport

/// Exit statuses, documented in docs/cli.md.
@main
struct WaferMapCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "wafermap",
        abstract: "Map large language models onto wafer-scale accelerators.",
        version: WaferMapVersion.string,
        subcommands: [CompileCommand.self, CheckCommand.self, RepairPlanCommand.self, CheckPlanCommand.self, RenderCommand.self, IRCommand.self, StatsCommand.self, CountCommand.self, PlaceCommand.self, DefectsCommand.self, TargetsCommand.self,
                      PassesCommand.self, PassOptionsCommand.self, BenchCommand.self, CalibrateCommand.self, SweepCommand.self, ServeCommand.self, YieldCommand.self, MergeCommand.self, ImportCommand.self]
    )

    /// swift-argument-parser suggests near misses for options but not for subcommands: a
    /// mistyped command (`wafermap compil x`) is caught here, before parsing, with a
    /// did-you-mean and the usage status.
    static func main() {
        let arguments = Array(CommandLine.arguments.dropFirst())
        if let message = UnknownSubcommand.message(arguments, root: WaferMapCommand.self) {
            writeStderr(message)
            Foundation.exit(ExitStatus.usage)
        }
        _ = processProgress   // starts the heartbeat off a terminal (Progress.swift)
        main(arguments)
    }
}

/// Finds the first word of a command line that names no subcommand where one is expected.
enum UnknownSubcommand {
    /// The error text for `arguments`, or nil when every command word names a subcommand (or
    /// the parser should handle the line: options, `help`, a command that takes arguments).
    static func message(_ arguments: [String], root: any ParsableCommand.Type) -> String? {
        var command = root
        var path = [root._commandName]
        var afterHelp = false
        for word in arguments {
            let subcommands = command.configuration.subcommands
            guard !subcommands.isEmpty, !word.hasPrefix("-") else { return nil }
            if let next = subcommands.first(where: { $0._commandName == word || $0.configuration.aliases.contains(word) }) {
                command = next
                path.append(next._commandName)
                continue
            }
            // `wafermap help compil`: the words after `help` name a command too.
            if word == "help" && command == root && !afterHelp { afterHelp = true; continue }
            let names = subcommands.map { $0._commandName }
            var notes: [Diagnostic] = []
            if let s = Suggest.closest(to: word, in: names) { notes.append(.note("did you mean '\(s)'?")) }
            notes.append(.note("commands of '\(path.joined(separator: " "))': \(names.joined(separator: ", "))"))
            let within = path.count > 1 ? " for '\(path.joined(separator: " "))'" : ""
            return Diagnostic(.error, DriverFailure.unknownCommand, "unknown command '\(word)'\(within)", at: nil, notes: notes).description + "\n"
        }
        return nil
    }
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

    @OptionGroup var passOptions: PassOptionFlags

    /// Pass names are checked before any work; an unknown one is a usage error (exit 64) with
    /// a did-you-mean note.
    func validate() throws {
        do throws(DiagnosticError) {
            for name in printBefore { try PassRegistry.validate(name, flag: "--print-ir-before") }
            for name in printAfter { try PassRegistry.validate(name, flag: "--print-ir-after") }
            if let stopAfter { try PassRegistry.validate(stopAfter, flag: "--stop-after") }
        } catch {
            writeStderr(error.description + "\n")
            throw ExitCode(ExitStatus.of(error))
        }
    }

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
    do throws(DiagnosticError) {
        if let failure = DiagnosticCatalogue.debugFailure(environment: ProcessInfo.processInfo.environment) { throw failure }
        try body()
    } catch {
        FileHandle.standardError.write(Data((error.description + "\n").utf8))
        throw ExitCode(ExitStatus.of(error))
    }
}

/// Runs a long command's `body` with the progress heartbeat on stderr, cleared when it ends.
func withProgress<T>(_ body: (@escaping (String) -> Void) throws(DiagnosticError) -> T) throws(DiagnosticError) -> T {
    let progress = processProgress
    let result = try body { progress($0) }
    progress.finish()
    return result
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
        abstract: "Print a model's IR after the pipeline (front end, \(PassRegistry.all.map(\.name).joined(separator: ", "))).",
        discussion: "The IR goes to standard output. A dump asked for after the pipeline's last pass (--print-ir-after, --print-ir-after-all) would repeat it on standard error, so it is left out there.")

    @Argument(help: "The model: a model description (YAML) or a Hugging Face config.json.")
    var model: String

    @OptionGroup var deployment: DeploymentFlags
    @OptionGroup var pipeline: PipelineFlags

    func run() throws {
        try runReportingErrors { () throws(DiagnosticError) in
            // Standard output gets the IR after the last pass; a dump of the same IR is dropped.
            let last = pipeline.stopAfter ?? "schedule"
            if PassRegistry.frontHalf.contains(where: { $0.name == last }) {
                // Before the partition nothing needs the target or the deployment: the front half.
                if let stop = pipeline.stopAfter { try PassRegistry.validate(stop, flag: "--stop-after") }
                let result = try Driver.frontHalf(modelPath: model, instrumentation: pipeline.instrumentation,
                                                  warn: { writeStderr($0.description + "\n") },
                                                  dump: { if !($0.when == .after && $0.pass == last) { writeStderr($0.rendered) } })
                writeStdout(Driver.printIR(result.graph, expandLayers: pipeline.expandLayers))
                if pipeline.timing { writeStderr(TimingReport.render(result.timings)) }
                return
            }
            try deployment.run(model: model, pipeline: pipeline, everyTiming: true, dumpFilter: { !($0.when == .after && $0.pass == last) }) { report in
                report.results.map { Driver.printIR($0.graph, expandLayers: pipeline.expandLayers) }.joined()
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
            if !pipeline.passOptions.isEmpty { throw .error(DriverFailure.flagConflict, "stats runs no pass with knobs; --pass-option and --pass-options belong to compile, ir, count, place, bench and sweep", at: nil) }
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

    @Option(help: "Output format: table or json.")
    var format: StatsCommand.Format = .table

    func run() throws {
        writeStdout(Driver.passList(json: format == .json))
    }
}
