import Foundation
import WaferPasses
import WaferSupport

/// One model's benchmark: per-step wall time and peak resident memory.
public struct BenchmarkRow: Sendable, Encodable {
    public struct Step: Sendable, Encodable {
        public var step: String
        public var wallMs: Double
        public var peakRssMib: Double
    }
    public var model: String
    public var target: String
    public var wafers: Int
    public var attempts: Int
    public var totalWallMs: Double
    public var peakRssMib: Double
    public var steps: [Step]

    public init(model: String, target: String, result: CountResult) {
        self.model = model
        self.target = target
        wafers = result.partition.stages.count
        attempts = result.attempts
        totalWallMs = (result.totalSeconds * 1e6).rounded() / 1e3
        steps = result.timings.map { Step(step: $0.name, wallMs: ($0.seconds * 1e6).rounded() / 1e3,
                                          peakRssMib: (Double($0.peakResidentBytes) / 1_048_576 * 10).rounded() / 10) }
        peakRssMib = steps.map(\.peakRssMib).max() ?? 0
    }

    public static func table(_ rows: [BenchmarkRow], defects: String) -> String {
        var out = "defects: \(defects); wall times of the successful attempt per step, total includes every attempt\n"
        for row in rows {
            out += "\n\(row.model) on \(row.target): \(row.wafers) wafers, \(row.attempts) attempt(s), total \(Units.fixed(row.totalWallMs, digits: 1)) ms, peak RSS \(Units.fixed(row.peakRssMib, digits: 1)) MiB\n"
            var t = TextTable([("step", .left), ("wall ms", .right), ("peak RSS MiB", .right)])
            for s in row.steps { t.add([s.step, Units.fixed(s.wallMs, digits: 3), Units.fixed(s.peakRssMib, digits: 1)]) }
            out += t.render()
        }
        return out
    }

    public static func json(_ rows: [BenchmarkRow]) -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        encoder.keyEncodingStrategy = .convertToSnakeCase
        guard let data = try? encoder.encode(rows), let text = String(data: data, encoding: .utf8) else { return "[]\n" }
        return text + "\n"
    }
}
