import WaferReport
import ArgumentParser
import WaferMap
import WaferPasses
import WaferSupport

/// `--pass-option` and `--pass-options`: the algorithms' knobs (docs/pass-options.md), on every
/// command that runs the passes (through `PipelineFlags`, and on `sweep` and `bench`).
struct PassOptionFlags: ParsableArguments {
    @Option(name: .customLong("pass-option"), parsing: .singleValue,
            help: ArgumentHelp("Set an algorithm knob: SECTION.KNOB=VALUE (route.max-iterations=40). Repeatable; later ones win; `wafermap pass-options` lists them.", valueName: "key=value"))
    var assignments: [String] = []

    @Option(name: .customLong("pass-options"), parsing: .singleValue,
            help: ArgumentHelp("A YAML file of knobs (route: {max-iterations: 40}). Repeatable; applied in order before --pass-option.", valueName: "file"))
    var files: [String] = []

    /// Every `--pass-option` is checked before any work: a malformed or unknown one is a usage
    /// error (exit 64) with a did-you-mean note, as an unknown pass name is.
    func validate() throws {
        do throws(DiagnosticError) {
            _ = try PassOptions.parse(assignments: assignments)
        } catch {
            writeStderr(error.description + "\n")
            throw ExitCode(ExitStatus.usage)
        }
    }

    /// The options the files and settings give (a file's errors name its line and column).
    func resolve() throws(DiagnosticError) -> PassOptions {
        try PassOptions.parse(assignments: assignments, files: files)
    }

    var isEmpty: Bool { assignments.isEmpty && files.isEmpty }
}

struct PassOptionsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "pass-options",
        abstract: "List every algorithm knob --pass-option sets: type, unit, default, range and why (docs/pass-options.md).")

    @Option(help: "Output format: table or json.")
    var format: StatsCommand.Format = .table

    func run() throws {
        writeStdout(format == .json ? PassOptionReport.json() : PassOptionReport.table())
    }
}
