import Foundation

/// `body(0) ..< body(count)` computed on all cores (`DispatchQueue.concurrentPerform`), returned
/// in index order, so the result does not depend on scheduling. For independent per-wafer work:
/// each call must touch only its own index's state. O(count) calls; results held once each.
public func parallelMap<T: Sendable>(_ count: Int, _ body: @Sendable (Int) -> T) -> [T] {
    let box = IndexedResults<T>(count: max(count, 0))
    DispatchQueue.concurrentPerform(iterations: max(count, 0)) { box.set($0, body($0)) }
    return box.values()
}

/// Lock-protected result slots for `parallelMap`.
private final class IndexedResults<T>: @unchecked Sendable {
    private let lock = NSLock()
    private var slots: [T?]
    init(count: Int) { slots = Array(repeating: nil, count: count) }
    func set(_ index: Int, _ value: T) { lock.lock(); slots[index] = value; lock.unlock() }
    func values() -> [T] { lock.lock(); defer { lock.unlock() }; return slots.compactMap { $0 } }
}
