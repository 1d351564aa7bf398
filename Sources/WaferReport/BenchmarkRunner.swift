import Foundation
import WaferSupport

/// Runs benchmark cases as child processes of the `wafermap` binary, so that each run's peak
/// memory is its own and its wall time is the whole process's (start-up, parse, every step,
/// exit), as a user would time it.
public enum BenchmarkRunner {
    /// The running executable's path (`/proc/self/exe` on Linux, else argv[0]). O(1).
    public static func executablePath() -> String {
        (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? CommandLine.arguments[0]
    }

    /// Runs each case `runs` times, case after case, as `executable bench MODEL ARGS... EXTRA...
    /// --format json`, and summarises each case's runs. `progress` hears each run before it
    /// starts. A run that fails (non-zero exit, unreadable output) stops the benchmark with its
    /// message. O(cases x runs) processes, one at a time.
    public static func run(_ cases: [BenchmarkCase], runs: Int, executable: String, extra: [String],
                           progress: (String) -> Void = { _ in }) throws(DiagnosticError) -> [BenchmarkSummary] {
        guard (1...100).contains(runs) else { throw .error(DriverFailure.flagValue, "--runs must be between 1 and 100, not \(runs)", at: nil) }
        var summaries: [BenchmarkSummary] = []
        for (index, benchmarkCase) in cases.enumerated() {
            var rows: [BenchmarkRow] = [], walls: [Double] = []
            for run in 1...runs {
                progress("case \(index + 1) of \(cases.count), \(benchmarkCase.label): run \(run) of \(runs)")
                let (row, wall) = try runOnce(benchmarkCase, executable: executable, extra: extra)
                rows.append(row)
                walls.append(wall)
            }
            summaries.append(BenchmarkSummary(benchmarkCase, rows: rows, wallSeconds: walls))
        }
        return summaries
    }

    /// One run of `benchmarkCase` in a child process: its row and its wall time in seconds. O(the run).
    static func runOnce(_ benchmarkCase: BenchmarkCase, executable: String, extra: [String]) throws(DiagnosticError) -> (BenchmarkRow, Double) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = ["bench", benchmarkCase.model] + benchmarkCase.arguments + extra + ["--format", "json"]
        let output = Pipe(), errors = Pipe()
        process.standardOutput = output
        process.standardError = errors
        let clock = ContinuousClock()
        let start = clock.now
        let (stdout, stderr): (Data, Data)
        do {
            try process.run()
            // Drain stderr on another thread so neither pipe can fill and stall the child.
            let drained = PipeDrain(errors.fileHandleForReading)
            stdout = output.fileHandleForReading.readDataToEndOfFile()
            process.waitUntilExit()
            stderr = drained.wait()
        } catch {
            throw .error(DriverFailure.write, "cannot run \(executable) for the benchmark case '\(benchmarkCase.label)': \(error.localizedDescription)", at: nil)
        }
        let wall = (clock.now - start).seconds
        let message = String(decoding: stderr, as: UTF8.self).split(separator: "\n").last { $0.contains("error") }.map(String.init)
        guard process.terminationStatus == 0 else {
            throw .error(DriverFailure.benchmarkRun, "benchmark case '\(benchmarkCase.label)' failed (exit \(process.terminationStatus)): \(message ?? "no error message")", at: nil)
        }
        let decoder = JSONDecoder()
        decoder.keyDecodingStrategy = .convertFromSnakeCase
        guard let rows = try? decoder.decode([BenchmarkRow].self, from: stdout), let row = rows.first else {
            throw .error(DriverFailure.benchmarkRun, "benchmark case '\(benchmarkCase.label)' printed no benchmark row", at: nil)
        }
        return (row, wall)
    }
}

/// Reads a pipe to its end on a background thread. O(bytes).
private final class PipeDrain: @unchecked Sendable {
    private var data = Data()
    private let done = DispatchSemaphore(value: 0)

    init(_ handle: FileHandle) {
        Thread.detachNewThread { [self] in
            data = handle.readDataToEndOfFile()
            done.signal()
        }
    }

    func wait() -> Data {
        done.wait()
        return data
    }
}
