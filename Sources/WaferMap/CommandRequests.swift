import Foundation
import WaferExec
import WaferPasses
import WaferPerf
import WaferPlan
import WaferReport
import WaferSupport
import WaferTarget

// The rules the command line applies to its flags, and the lines it prints, kept here so that
// tests run them in-process; the executable only declares flags and calls these.

extension CheckRequest {
    /// `wafermap check`'s request; the numeric check's options are range-checked here
    /// (`--steps` 1 to 4,096, `--sample` at least 1; `--sample` implies `--numeric`).
    public init(planPath: String, defectsPath: String?, killPEs: [String], faultRate: Double?, numeric: Bool, sample: Int?,
                steps: Int, timing: Bool, seed: UInt64) throws(DiagnosticError) {
        guard steps >= 1, steps <= 4096 else { throw .error(DriverFailure.flagValue, "--steps \(steps): expected 1 to 4096", at: nil) }
        if let sample, sample < 1 { throw .error(DriverFailure.flagValue, "--sample \(sample): expected at least 1", at: nil) }
        self.init(planPath: planPath)
        self.defectsPath = defectsPath
        self.killPEs = killPEs
        self.faultRate = faultRate
        options.numeric = numeric || sample != nil
        options.sample = sample
        options.steps = steps
        options.timing = timing
        options.seed = seed
    }
}

extension RepairRequest {
    /// Why `--defects`, `--add-defects` and `--allow-revive` do not go together as given, or
    /// nil: exactly one defect map, and `--allow-revive` only with `--defects`.
    public static func flagProblem(defects: String?, addDefects: String?, allowRevive: Bool) -> String? {
        guard (defects == nil) != (addDefects == nil) else {
            return "give the wafers' defects as they are now with --defects FILE, or new defects only with --add-defects FILE (one of the two)"
        }
        if allowRevive && addDefects != nil { return "--allow-revive goes with --defects: --add-defects never revives a PE" }
        return nil
    }

    /// `wafermap repair`'s request from its flags (checked with `flagProblem` first).
    public init(planPath: String, defects: String?, addDefects: String?, allowRevive: Bool, outputPath: String,
                modelPath: String?, fullCheck: Bool) {
        self.init(planPath: planPath, defectsPath: defects ?? addDefects ?? "", outputPath: outputPath)
        self.addDefects = addDefects != nil
        self.allowRevive = allowRevive
        self.modelPath = modelPath
        self.fullCheck = fullCheck
    }
}

extension CompileRequest {
    /// `compile` runs every pass: a `--stop-after` is refused.
    public static func refuseStopAfter(_ stopAfter: String?) throws(DiagnosticError) {
        if stopAfter != nil { throw .error(DriverFailure.flagConflict, "compile runs every pass; --stop-after belongs to count and place", at: nil) }
    }
}

extension CountReport {
    /// `place`'s output: the placement, routing and decode-latency quality of each precision's
    /// result, as tables or JSON.
    public func placementQuality(json: Bool) -> String {
        results.compactMap { result in
            PlacementQuality(graph: result.graph, target: target, defects: defects, promptTokens: deployment.promptTokens)
                .map { json ? $0.json() : $0.table() }
        }.joined()
    }
}

extension Driver {
    /// `wafermap check-plan`: reads the plan and runs its consistency checks; returns the line
    /// to print, or throws the problems as notes.
    public static func checkPlan(path: String) throws(DiagnosticError) -> String {
        let plan = try PlanIO.read(path: path)
        let problems = PlanCheck.problems(plan)
        guard problems.isEmpty else {
            throw DiagnosticError(Diagnostic(.error, DriverFailure.planCheck, "\(path) failed its consistency check (\(problems.count) problem\(problems.count == 1 ? "" : "s"))", at: nil,
                                             notes: problems.map { .note($0) }))
        }
        return "\(path): consistent (format \(plan.formatVersion), written by wafermap \(plan.compilerVersion)): \(plan.inputs.modelName) on \(plan.summary.wafers) x \(plan.target.name), \(Units.fixed(plan.summary.tokensPerS, digits: 1)) tokens/s per user predicted\n"
    }

    /// The line `wafermap render` prints for the SVG `files` it wrote to `directory`.
    public static func renderSummary(files: [String], directory: String) -> String {
        "wrote \(files.count) SVG files to \(directory): \(files.map { ($0 as NSString).lastPathComponent }.joined(separator: ", "))\n"
    }

    /// `wafermap passes`: the registered passes in pipeline order, as a table or JSON.
    public static func passList(json: Bool) -> String {
        guard json else {
            var table = TextTable([("pass", .left), ("summary", .left)])
            for pass in PassRegistry.all { table.add([pass.name, pass.summary]) }
            return table.render(indent: "")
        }
        struct Row: Encodable { var position: Int; var name: String; var summary: String }
        struct Listing: Encodable { var passes: [Row] }
        return JSONOutput.render(Listing(passes: PassRegistry.all.enumerated().map { Row(position: $0.offset + 1, name: $0.element.name, summary: $0.element.summary) }))
    }
}

extension ImportResult {
    /// The warnings as `import` prints them: each with a note on leaving the vision tower out on
    /// purpose (`import` is the command with `--text-only`).
    public var importWarnings: [Diagnostic] {
        warnings.map { warning in
            var shown = warning
            shown.notes.append(.note("--text-only leaves the vision tower out without this warning"))
            return shown
        }
    }

    /// What `import` prints: the one-line summary when the YAML went to a file, else the YAML.
    public var output: String {
        guard let path = outputPath else { return yaml }
        let s = statistics
        var line = "wrote \(path): \(Units.grouped(s.totalParameters)) parameters (\(Units.shortCount(s.totalParameters))), "
        line += "\(Units.grouped(s.activeParameters)) active, \(Units.gigabytes(s.weightBytes)) of weights"
        for module in unmapped {
            line += "; not mapped: \(module.name) \(Units.grouped(module.parameters)) parameters"
        }
        return line + "\n"
    }
}
