/// The router's A* open set: a binary min-heap (Williams 1964) of `OpenEntry` on storage it owns
/// and reuses from search to search. `OpenEntry`'s order is total (priority, then node id), and
/// entries equal in both are indistinguishable, so this heap pops exactly the sequence any other
/// correct priority queue would (swift-collections' min-max `Heap` before it): the searches, and
/// so the routes, do not depend on it. A binary heap's sift-down compares two children per level
/// where a min-max heap compares up to six, which made the heap a quarter of the route step.
/// Not thread-safe: one heap per search owner (a wafer's router on one thread).
final class OpenHeap {
    private var storage: UnsafeMutablePointer<OpenEntry>
    private var capacity: Int
    private(set) var count = 0

    init(capacity: Int = 1_024) {
        self.capacity = max(capacity, 16)
        storage = .allocate(capacity: self.capacity)
    }

    deinit { storage.deallocate() }

    var isEmpty: Bool { count == 0 }

    /// Empties the heap and keeps its storage. O(1).
    @inline(__always) func removeAll() { count = 0 }

    /// Adds `entry`. O(log n) amortised (the storage doubles when full).
    @inline(__always) func insert(_ entry: OpenEntry) {
        if count == capacity { grow() }
        var i = count
        count += 1
        while i > 0 {
            let parent = (i - 1) >> 1
            guard entry < storage[parent] else { break }
            storage[i] = storage[parent]
            i = parent
        }
        storage[i] = entry
    }

    /// Removes and returns the least entry, or nil when empty. O(log n).
    @inline(__always) func popMin() -> OpenEntry? {
        guard count > 0 else { return nil }
        let top = storage[0]
        count -= 1
        guard count > 0 else { return top }
        let last = storage[count]
        var i = 0
        while true {
            var child = 2 * i + 1
            guard child < count else { break }
            if child + 1 < count && storage[child + 1] < storage[child] { child += 1 }
            guard storage[child] < last else { break }
            storage[i] = storage[child]
            i = child
        }
        storage[i] = last
        return top
    }

    /// Doubles the storage, keeping the entries. O(n).
    private func grow() {
        let bigger = UnsafeMutablePointer<OpenEntry>.allocate(capacity: capacity * 2)
        bigger.moveInitialize(from: storage, count: count)
        storage.deallocate()
        storage = bigger
        capacity *= 2
    }
}
