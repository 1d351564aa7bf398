import WaferSupport

/// `--threads N` on the commands that compile or check: how many threads per-wafer work may use.
public enum ThreadsFlag {
    /// Checks `threads` (1...`Parallelism.maxThreads`) and sets it for the process; nil leaves
    /// the default (the processor count). Outputs do not depend on it (`Parallelism`). O(1).
    public static func apply(_ threads: Int?) throws(DiagnosticError) {
        guard let threads else { return }
        guard (1...Parallelism.maxThreads).contains(threads) else {
            throw .error(DriverFailure.flagValue, "--threads must be between 1 and \(Parallelism.maxThreads), not \(threads)", at: nil)
        }
        Parallelism.setThreads(threads)
    }
}
