import Foundation
import WaferMap
import WaferReport
import WaferSupport

/// What `serve --emit DIR` wrote: the first row's replica plan, checked by the executor.
public struct ServeEmitted: Sendable {
    public var planPath: String
    public var reportPath: String
    public var deploymentPath: String
    public var planBytes: Int
    public var executorPassed: Bool
    /// Predicted tokens/s per user of the compiled plan, uncontended (one micro-batch).
    public var tokensPerS: Double
}

extension Driver {
    /// Compiles the first row of `report` in full (plan, consistency check, executor) into
    /// `directory` (created when missing): `replica.plan.json`, `replica.report.json`, and
    /// `deployment.json` (the row, the traffic and the assumptions). Nothing is written when the
    /// compile fails. O(one compile).
    public static func emitServe(_ report: ServeReport, request: ServeRequest, directory: String,
                                 progress: (String) -> Void = { _ in }) throws(DiagnosticError) -> ServeEmitted {
        guard let row = report.rows.first else { throw .error(DriverFailure.sweepNothingCompiled, "no deployment to emit", at: nil) }
        if let problem = OutputPaths.problem(outputs: [.init(path: directory, flag: "--emit", isDirectory: true)], inputs: [request.count.modelPath]) {
            throw .error(DriverFailure.outputPath, problem, at: nil)
        }
        do {
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        } catch {
            throw .error(DriverFailure.write, "cannot create --emit directory '\(directory)': \(error.localizedDescription)", at: nil)
        }
        var count = request.count
        count.deployment.batch = row.microBatch
        count.deployment.sequences = row.sequencesPerReplica
        count.deployment.wafers = .auto
        count.deployment.promptTokens = request.resolvedPromptTokens
        if !count.precisions.isEmpty { count.precisions = count.precisions.filter { $0.description == row.precision } }
        var compile = CompileRequest(count: count)
        let dir = URL(fileURLWithPath: directory)
        compile.planPath = dir.appendingPathComponent("replica.plan.json").path
        compile.reportPath = dir.appendingPathComponent("replica.report.json").path
        progress("compiling the chosen replica (\(row.flags))")
        let result = try Driver.compile(compile, progress: progress)
        if let failure = result.failure { throw failure }
        struct Deployment: Encodable {
            var model: String, target: String, traffic: String, replicaPlan: String, deployment: ServeDeployment, assumptions: [String]
        }
        let deploymentPath = dir.appendingPathComponent("deployment.json").path
        let text = JSONOutput.render(Deployment(model: report.model, target: report.target, traffic: report.traffic, replicaPlan: "replica.plan.json",
                                                deployment: row, assumptions: report.assumptions))
        do throws(AtomicFile.WriteError) { try AtomicFile.write(text, to: deploymentPath) } catch { throw .error(DriverFailure.write, error.description, at: nil) }
        return ServeEmitted(planPath: result.planPath, reportPath: compile.reportPath ?? "", deploymentPath: deploymentPath, planBytes: result.planBytes,
                            executorPassed: result.execution.passed, tokensPerS: result.plan.summary.tokensPerS)
    }
}
