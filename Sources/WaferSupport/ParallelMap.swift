import Foundation

/// How many threads `parallelMap` may use: the process-wide setting of `--threads`.
///
/// Results never depend on it: `parallelMap` returns its results in index order and each index's
/// work touches only its own state, so one thread and many give byte-identical outputs (a test
/// compiles the same plan with `--threads 1` and `--threads 2` and compares the bytes).
public enum Parallelism {
    /// The most threads any program may ask for; more would only add scheduling overhead.
    public static let maxThreads = 256
    private static let lock = NSLock()
    nonisolated(unsafe) private static var configured: Int?

    /// The thread count in force: the value set with `setThreads`, else the machine's active
    /// processor count.
    public static var threads: Int {
        lock.lock(); defer { lock.unlock() }
        return configured ?? max(ProcessInfo.processInfo.activeProcessorCount, 1)
    }

    /// Sets the thread count (`--threads N`): clamped to 1...`maxThreads`; nil restores the default.
    public static func setThreads(_ n: Int?) {
        lock.lock(); defer { lock.unlock() }
        configured = n.map { min(max($0, 1), maxThreads) }
    }
}

/// `body(0) ..< body(count)` computed on up to `Parallelism.threads` threads
/// (`DispatchQueue.concurrentPerform`, each worker taking the next index from a shared counter),
/// returned in index order, so the result does not depend on scheduling or on the thread count.
/// With one thread (or one index) the calls run in order on the caller's thread. For independent
/// per-wafer work: each call must touch only its own index's state. O(count) calls; results held
/// once each.
public func parallelMap<T: Sendable>(_ count: Int, _ body: @Sendable (Int) -> T) -> [T] {
    parallelMap(count, threads: Parallelism.threads, body)
}

/// `parallelMap` on up to `threads` threads, whatever `Parallelism.threads` says: for an outer
/// loop whose calls set the process-wide count to 1 for their own inner work (a study running
/// its compiles side by side). Same guarantees: results in index order, independent of
/// `threads`. O(count) calls.
public func parallelMap<T: Sendable>(_ count: Int, threads: Int, _ body: @Sendable (Int) -> T) -> [T] {
    let count = max(count, 0)
    let workers = min(max(threads, 1), count)
    if workers <= 1 { return (0..<count).map(body) }
    let box = IndexedResults<T>(count: count)
    DispatchQueue.concurrentPerform(iterations: workers) { _ in
        while let index = box.claim() { box.set(index, body(index)) }
    }
    return box.values()
}

/// Lock-protected result slots and the next unclaimed index for `parallelMap`.
private final class IndexedResults<T>: @unchecked Sendable {
    private let lock = NSLock()
    private var slots: [T?]
    private var next = 0
    init(count: Int) { slots = Array(repeating: nil, count: count) }
    func claim() -> Int? {
        lock.lock(); defer { lock.unlock() }
        guard next < slots.count else { return nil }
        next += 1
        return next - 1
    }
    func set(_ index: Int, _ value: T) { lock.lock(); slots[index] = value; lock.unlock() }
    func values() -> [T] { lock.lock(); defer { lock.unlock() }; return slots.compactMap { $0 } }
}
