import Foundation
import WaferSupport

/// One case of `wafermap bench`'s built-in sets: a model and the deployment flags it runs with.
public struct BenchmarkCase: Sendable, Codable, Hashable {
    public var label: String
    public var model: String
    public var arguments: [String]

    public init(_ label: String, _ model: String, _ arguments: [String]) {
        self.label = label; self.model = model; self.arguments = arguments
    }
}

/// The case sets `wafermap bench` runs without a model argument (docs/performance.md).
public enum BenchmarkSets {
    static let models = "examples/models/"
    static let rate01 = ["--defect-rate", "0.001", "--clustered"], rate1 = ["--defect-rate", "0.01", "--clustered"]

    /// The default set: issue 24's goal cases. Small and mid-size models with a 0.1% clustered
    /// map, Kimi K2 at 0.1% and 1% clustered (the target's spare rows repair what they can) and
    /// at 0.1% with every defect a hole (`--repair none`), and the synthetic 2x Kimi model.
    public static let standard: [BenchmarkCase] = [
        BenchmarkCase("tiny, 0.1% clustered", models + "tiny.yaml", rate01),
        BenchmarkCase("Llama-3.1-70B, 0.1% clustered", models + "llama-3.1-70b.yaml", rate01),
        BenchmarkCase("Kimi K2, 0.1% clustered", models + "kimi-k2.yaml", rate01),
        BenchmarkCase("Kimi K2, 1% clustered", models + "kimi-k2.yaml", rate1),
        BenchmarkCase("Kimi K2, 0.1% clustered, holes", models + "kimi-k2.yaml", rate01 + ["--repair", "none"]),
        BenchmarkCase("2x Kimi, 0.1% clustered", models + "synthetic/kimi-2x.yaml", rate01),
    ]

    /// Cost against model size and defect rate (`--scaling`): 8B, 70B, 405B, Kimi K2 and the
    /// synthetic 2x Kimi, each defect-free, at 0.1% and 1% clustered (spare rows), and at 0.1%
    /// clustered with every defect a hole.
    public static let scaling: [BenchmarkCase] = {
        let sizes = [("Llama-3.1-8B", "llama-3.1-8b.yaml"), ("Llama-3.1-70B", "llama-3.1-70b.yaml"), ("Llama-3.1-405B", "llama-3.1-405b.yaml"),
                     ("Kimi K2", "kimi-k2.yaml"), ("2x Kimi", "synthetic/kimi-2x.yaml")]
        let rates: [(String, [String])] = [("no defects", ["--defect-rate", "0"]), ("0.1% clustered", rate01), ("1% clustered", rate1),
                                           ("0.1% clustered, holes", rate01 + ["--repair", "none"])]
        return sizes.flatMap { name, file in rates.map { BenchmarkCase("\(name), \($0.0)", models + file, $0.1) } }
    }()
}

/// The median, least and greatest of a figure over a case's runs.
public struct BenchmarkSpread: Sendable, Codable, Hashable {
    public var median: Double
    public var min: Double
    public var max: Double

    /// The spread of `values` (the median of an even count is the mean of the middle two). O(n log n).
    public init(_ values: [Double]) {
        let sorted = values.sorted()
        let n = sorted.count
        median = n == 0 ? 0 : (n % 2 == 1 ? sorted[n / 2] : (sorted[n / 2 - 1] + sorted[n / 2]) / 2)
        min = sorted.first ?? 0
        max = sorted.last ?? 0
    }
}

/// One case over several runs, each run a fresh process: the whole process's wall time as the
/// parent measured it, the run's peak resident memory, and the median of every step.
public struct BenchmarkSummary: Sendable, Codable {
    public struct Step: Sendable, Codable {
        public var step: String
        public var wallMsMedian: Double
    }
    public var benchmarkCase: BenchmarkCase
    public var runs: Int
    public var wafers: Int
    public var parameters: Int
    public var planBytes: Int
    public var executorPassed: Bool
    public var wallSeconds: BenchmarkSpread
    public var peakRssMib: BenchmarkSpread
    public var steps: [Step]

    /// The summary of `rows` (one per run, the same case) with the parent's wall times. O(runs x steps).
    public init(_ benchmarkCase: BenchmarkCase, rows: [BenchmarkRow], wallSeconds: [Double]) {
        self.benchmarkCase = benchmarkCase
        runs = rows.count
        let first = rows.first
        wafers = first?.wafers ?? 0; parameters = first?.parameters ?? 0
        planBytes = first?.planBytes ?? 0
        executorPassed = !rows.isEmpty && rows.allSatisfy(\.executorPassed)
        self.wallSeconds = BenchmarkSpread(wallSeconds)
        peakRssMib = BenchmarkSpread(rows.map(\.peakRssMib))
        steps = (first?.steps ?? []).map { step in
            Step(step: step.step, wallMsMedian: BenchmarkSpread(rows.compactMap { $0.steps.first { $0.step == step.step }?.wallMs }).median)
        }
    }

    /// The median of the named step, 0 when the run had none.
    public func stepMs(_ name: String) -> Double { steps.first { $0.step == name }?.wallMsMedian ?? 0 }

    /// One line per case: parameters, wafers, whole-process wall and peak memory (median, min to
    /// max), the medians of the steps that dominate, the plan's bytes and the executor's verdict.
    public static func table(_ summaries: [BenchmarkSummary]) -> String {
        let runs = summaries.map(\.runs).max() ?? 0
        let out = "\(Units.count(summaries.count, "case")) x \(Units.count(runs, "run")), each run a fresh process; wall and peak RSS: whole-process median (min-max); steps: medians in ms (encode + read back overlap the checks)\n"
        var t = TextTable([("case", .left), ("params", .right), ("wafers", .right), ("wall s", .right), ("peak MiB", .right),
                           ("tile", .right), ("route", .right), ("enc+read", .right), ("struct", .right), ("plan bytes", .right), ("exec", .left)])
        for s in summaries {
            let wall = "\(Units.fixed(s.wallSeconds.median, digits: 2)) (\(Units.fixed(s.wallSeconds.min, digits: 2))-\(Units.fixed(s.wallSeconds.max, digits: 2)))"
            let peak = "\(Units.fixed(s.peakRssMib.median, digits: 0)) (\(Units.fixed(s.peakRssMib.min, digits: 0))-\(Units.fixed(s.peakRssMib.max, digits: 0)))"
            let lane = s.stepMs("encode plan") + s.stepMs("read plan back")
            t.add([s.benchmarkCase.label, Units.shortCount(s.parameters), "\(s.wafers)", wall, peak,
                   Units.fixed(s.stepMs("tile"), digits: 0), Units.fixed(s.stepMs("route"), digits: 0), Units.fixed(lane, digits: 0),
                   Units.fixed(s.stepMs("structural check"), digits: 0), Units.grouped(s.planBytes), s.executorPassed ? "passed" : "FAILED"])
        }
        return out + t.render()
    }

    public static func json(_ summaries: [BenchmarkSummary]) -> String { JSONOutput.render(summaries) }
}
