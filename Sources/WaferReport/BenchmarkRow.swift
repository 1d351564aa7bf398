import Foundation
import WaferPasses
import WaferSupport

/// One model's benchmark: per-step wall time and peak resident memory.
public struct BenchmarkRow: Sendable, Codable {
    public struct Step: Sendable, Codable {
        public var step: String
        public var wallMs: Double
        public var peakRssMib: Double
    }
    public var model: String
    public var target: String
    public var wafers: Int
    /// The model's parameters (every weight once).
    public var parameters: Int
    public var totalWallMs: Double
    public var peakRssMib: Double
    public var steps: [Step]

    /// Plan file bytes (0 when the run wrote none).
    public var planBytes: Int
    /// Whether the executor found the plan valid and its numeric sample agreeing.
    public var executorPassed: Bool

    /// A pipeline-only row (no plan).
    public init(model: String, target: String, result: CountResult) {
        self.init(model: model, target: target, count: result, timings: result.timings, totalSeconds: result.totalSeconds)
    }

    /// A row from a pipeline run's figures; the caller adds plan bytes and the check's verdict.
    public init(model: String, target: String, count: CountResult?, timings: [StepTiming], totalSeconds: Double) {
        self.model = model
        self.target = target
        wafers = count?.partition.stages.count ?? 0
        parameters = count?.statistics.totalParameters ?? 0
        totalWallMs = (totalSeconds * 1e6).rounded() / 1e3
        steps = timings.map { Step(step: $0.name, wallMs: ($0.seconds * 1e6).rounded() / 1e3,
                                   peakRssMib: (Double($0.peakResidentBytes) / 1_048_576 * 10).rounded() / 10) }
        peakRssMib = steps.map(\.peakRssMib).max() ?? 0
        planBytes = 0
        executorPassed = false
    }

    public static func table(_ rows: [BenchmarkRow], defects: String) -> String {
        var out = "defects: \(defects); wall time per step; total: the whole run's wall time\n"
        out += "(encode plan and read plan back run beside check plan and the executor's steps, so those rows overlap; write plan follows them)\n"
        for row in rows {
            out += "\n\(row.model) on \(row.target): \(Units.count(row.wafers, "wafer")), total \(Units.fixed(row.totalWallMs, digits: 1)) ms, peak RSS \(Units.fixed(row.peakRssMib, digits: 1)) MiB"
            if row.planBytes > 0 { out += ", plan \(Units.grouped(row.planBytes)) bytes, executor \(row.executorPassed ? "passed" : "FAILED")" }
            out += "\n"
            var t = TextTable([("step", .left), ("wall ms", .right), ("peak RSS MiB", .right)])
            for s in row.steps { t.add([s.step, Units.fixed(s.wallMs, digits: 3), Units.fixed(s.peakRssMib, digits: 1)]) }
            out += t.render()
        }
        return out
    }

    public static func json(_ rows: [BenchmarkRow]) -> String { JSONOutput.render(rows) }
}
