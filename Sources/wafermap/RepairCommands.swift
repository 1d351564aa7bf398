import ArgumentParser
import Foundation
import WaferMap
import WaferSupport

/// `wafermap repair` (docs/repair.md). The defect map is either the wafers as they are now
/// (`--defects`, which must still list the plan's own dead PEs unless `--allow-revive`), or new
/// defects alone (`--add-defects`, added to the plan's own).
struct RepairPlanCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "repair",
        abstract: "Re-place and re-route only what new defects touch, then check the result (docs/repair.md).")

    @Argument(help: "The plan to repair (JSON).")
    var plan: String

    @Option(help: ArgumentHelp("The defect map of the wafers as they are now: every wafer of the plan, its own dead PEs included.", valueName: "file"))
    var defects: String?

    @Option(name: .customLong("add-defects"), help: ArgumentHelp("A defect map of new defects only, added to the plan's own (instead of --defects).", valueName: "file"))
    var addDefects: String?

    @Flag(name: .customLong("allow-revive"), help: "Accept a --defects map in which PEs or links dead in the plan are live again (a replaced or re-tested wafer).")
    var allowRevive = false

    @Option(name: [.customShort("o"), .customLong("output")], help: ArgumentHelp("Where to write the repaired plan.", valueName: "plan"))
    var output: String

    @Option(help: ArgumentHelp("The model file, when it is no longer where the plan says (its SHA-256 must match the plan's).", valueName: "file"))
    var model: String?

    @Flag(name: .customLong("full-check"), help: "Replay every wafer in the executor, not only the repaired ones.")
    var fullCheck = false

    @Option(help: "Output: text or json.")
    var format: String = "text"

    func validate() throws {
        if let problem = RepairRequest.flagProblem(defects: defects, addDefects: addDefects, allowRevive: allowRevive) {
            throw ValidationError(problem)
        }
    }

    func run() throws {
        var passed = true
        try runReportingErrors { () throws(DiagnosticError) in
            let format = try OutputFormat(flag: format)
            let request = RepairRequest(planPath: plan, defects: defects, addDefects: addDefects, allowRevive: allowRevive, outputPath: output,
                                        modelPath: model, fullCheck: fullCheck)
            let result = try withProgress { progress throws(DiagnosticError) in try Driver.repair(request, progress: progress) }
            writeStdout(format == .json ? RepairRendering.json(result, request: request) : RepairRendering.text(result, request: request))
            passed = result.passed
        }
        if !passed { throw ExitCode(ExitStatus.inputError) }
    }
}
