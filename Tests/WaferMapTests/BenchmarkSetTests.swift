import Foundation
import Testing
import WaferReport
import WaferTestSupport

/// `wafermap bench` without a model: the built-in case sets, each run in a fresh process of the
/// built binary, summarised as medians.
@Suite struct BenchmarkSetTests {
    @Test func spreadIsMedianMinMax() {
        let odd = BenchmarkSpread([3, 1, 2])
        #expect(odd.median == 2 && odd.min == 1 && odd.max == 3)
        let even = BenchmarkSpread([4, 1, 3, 2])
        #expect(even.median == 2.5 && even.min == 1 && even.max == 4)
    }

    @Test func setsCoverTheGoalCasesAndTheScalingGrid() {
        let standard = BenchmarkSets.standard
        #expect(standard.contains { $0.model.hasSuffix("kimi-k2.yaml") && $0.arguments == ["--defect-rate", "0.001", "--clustered"] })
        #expect(standard.contains { $0.model.hasSuffix("kimi-k2.yaml") && $0.arguments == ["--defect-rate", "0.01", "--clustered"] })
        #expect(standard.contains { $0.model.hasSuffix("kimi-k2.yaml") && $0.arguments.contains("none") })
        #expect(standard.contains { $0.model.hasSuffix("synthetic/kimi-2x.yaml") })
        let scaling = BenchmarkSets.scaling
        #expect(scaling.count == 20 && Set(scaling.map(\.model)).count == 5 && Set(scaling).count == 20)
        for c in standard + scaling {
            #expect(FileManager.default.fileExists(atPath: TestPaths.root.appendingPathComponent(c.model).path), "\(c.model)")
        }
    }

    @Test func casesRunInChildProcessesAndSummariseAsMedians() throws {
        let tiny = TestPaths.root.appendingPathComponent("examples/models/tiny.yaml").path
        let cases = [BenchmarkCase("tiny, no defects", tiny, ["--defect-rate", "0"]),
                     BenchmarkCase("tiny, 1% clustered", tiny, ["--defect-rate", "0.01", "--clustered", "--target", "small64"])]
        var heard: [String] = []
        let summaries = try BenchmarkRunner.run(cases, runs: 2, executable: CLI.executable.path, extra: [], progress: { heard.append($0) })
        #expect(heard.count == 4 && heard[3].contains("case 2 of 2") && heard[3].contains("run 2 of 2"))
        #expect(summaries.map(\.benchmarkCase) == cases)
        for s in summaries {
            #expect(s.runs == 2 && s.wafers == 1 && s.parameters == 200_736 && s.executorPassed && s.planBytes > 1000)
            #expect(s.wallSeconds.min > 0 && s.wallSeconds.min <= s.wallSeconds.median && s.wallSeconds.median <= s.wallSeconds.max)
            #expect(s.peakRssMib.median > 0 && s.stepMs("route") > 0 && s.stepMs("write plan") > 0)
        }
        let table = BenchmarkSummary.table(summaries)
        #expect(table.contains("2 cases x 2 runs") && table.contains("tiny, 1% clustered") && table.contains("passed"))
        // A failing child stops the benchmark with its own message.
        do {
            _ = try BenchmarkRunner.run([BenchmarkCase("missing", "no-such-model.yaml", [])], runs: 1, executable: CLI.executable.path, extra: [])
            Issue.record("a missing model was benchmarked")
        } catch {
            #expect(error.contains(DriverFailure.benchmarkRun) && error.description.contains("no-such-model.yaml"))
        }
    }

    @Test func theCaseSetRefusesFlagsItWouldIgnore() throws {
        let flags = try CLI.run(["bench", "--context", "4096"])
        #expect(flags.status == 1 && flags.stderr.contains("the built-in case set fixes each case's flags"))
        let scaling = try CLI.run(["bench", "examples/models/tiny.yaml", "--scaling"])
        #expect(scaling.status == 1 && scaling.stderr.contains("--scaling runs the built-in grid"))
        let runs = try CLI.run(["bench", "--runs", "0"])
        #expect(runs.status == 1 && runs.stderr.contains("--runs must be between 1 and 100"))
    }
}
