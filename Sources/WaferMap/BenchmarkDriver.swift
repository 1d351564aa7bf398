import Foundation
import WaferPasses
import WaferReport
import WaferSupport

extension BenchmarkRow {
    /// A compile's row: every pass, then emit plan, encode plan, read plan back (the bytes
    /// decoded by the plan reader), check plan (`PlanCheck`), the executor's structural check,
    /// numeric sample check and timing simulation (encode and read-back overlap the checks),
    /// then write plan (plan, report and pictures, once every check passed).
    public init(model: String, target: String, compile result: CompileResult) {
        self.init(model: model, target: target, count: result.report.results.first, timings: result.timings, totalSeconds: result.totalSeconds)
        planBytes = result.planBytes
        executorPassed = result.execution.passed && result.problems.isEmpty
    }
}

extension Driver {
    /// One benchmark row: the whole compile (passes, plan written to a temporary directory,
    /// read back and checked, the executor's structural check, numeric sample and timing
    /// simulation), timed per step. The plan file and its directory are removed afterwards.
    public static func benchmarkCompile(_ request: CountRequest, model: String) throws(DiagnosticError) -> BenchmarkRow {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("wafermap-bench-\(ProcessInfo.processInfo.globallyUniqueString)")
        do {
            try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        } catch {
            throw .error(DriverFailure.write, "cannot create a temporary directory for the benchmark's plan: \((error as NSError).localizedDescription)", at: nil)
        }
        defer { try? FileManager.default.removeItem(at: directory) }
        var compile = CompileRequest(count: request)
        compile.planPath = directory.appendingPathComponent("bench.plan.json").path
        let result = try Driver.compile(compile)
        return BenchmarkRow(model: model, target: result.report.target.name, compile: result)
    }
}
