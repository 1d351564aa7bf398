import Foundation
import WaferPlan
import WaferReport
import WaferSupport

extension Driver {
    /// `wafermap render`: reads a plan, refuses it when its consistency check fails (a picture
    /// of a plan that is not one would mislead), and writes a picture of each wafer and an
    /// overview into `directory` (created when missing), all or nothing (`StagedFiles`).
    /// Returns the files written. O(plan size + picture size).
    public static func render(planPath: String, to directory: String) throws(DiagnosticError) -> [String] {
        if let problem = OutputPaths.problem(outputs: [.init(path: directory, flag: "--svg", isDirectory: true)], inputs: [planPath]) {
            throw .error(DriverFailure.outputPath, problem, at: nil)
        }
        let plan = try PlanIO.read(path: planPath)
        let problems = PlanCheck.problems(plan)
        guard problems.isEmpty else {
            throw DiagnosticError(Diagnostic(.error, DriverFailure.planCheck, "\(planPath) failed its consistency check (\(problems.count) problem\(problems.count == 1 ? "" : "s")); nothing was drawn", at: nil,
                                             notes: problems.map { .note($0) }))
        }
        return try writePictures(plan, to: directory)
    }

    /// Every picture of `plan` into `directory`, staged and renamed together.
    static func writePictures(_ plan: Plan, to directory: String) throws(DiagnosticError) -> [String] {
        var staged = StagedFiles()
        do throws(StagedFiles.Failure) {
            let written = try stagePictures(plan, to: directory, in: &staged)
            try staged.commit()
            return written
        } catch {
            staged.discard()
            throw .error(DriverFailure.write, error.description, at: nil)
        }
    }

    /// Creates `directory` when missing and stages a picture of each wafer, the time split and the overview
    /// into it; returns their paths (`wafer-00.svg`, ..., `time-split.svg`, `overview.svg`).
    static func stagePictures(_ plan: Plan, to directory: String, in staged: inout StagedFiles) throws(StagedFiles.Failure) -> [String] {
        do {
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        } catch {
            throw StagedFiles.Failure(path: directory, reason: (error as NSError).localizedDescription)
        }
        var written: [String] = []
        for (name, svg) in WaferPictures.render(plan) {
            let path = (directory as NSString).appendingPathComponent(name)
            try staged.stage(svg, to: path)
            written.append(path)
        }
        return written
    }
}
