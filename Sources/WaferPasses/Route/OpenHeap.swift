/// The router's A* open set: a 4-ary min-heap (Johnson 1975's d-heap; Williams 1964) of `OpenEntry` on storage it owns
/// and reuses from search to search. `OpenEntry`'s order is total (priority, then node id), and
/// entries equal in both are indistinguishable, so this heap pops exactly the sequence any other
/// correct priority queue would (swift-collections' min-max `Heap` before it): the searches, and
/// so the routes, do not depend on it.
///
/// Each entry is kept as two unsigned keys compared in order: the priority's IEEE 754 bits
/// mapped so that unsigned order is numeric order (sign bit flipped for positive values, all
/// bits for negative ones; the searches' priorities are never -0.0 or NaN), then the node id.
/// Integer comparisons branch less than floating-point ones; four children per node halve the
/// depth (the four are one 64-byte line), and `popMin` sifts the hole to the bottom along the
/// least children, then sifts the last entry up from there (Floyd's bottom-up variant), so a
/// level costs three comparisons and no test against the entry being placed. Not
/// thread-safe: one heap per search owner (a wafer's router on one thread).
final class OpenHeap {
    struct Key {
        var priority: UInt64
        var node: UInt64
        @inline(__always) static func < (a: Key, b: Key) -> Bool {
            a.priority < b.priority || (a.priority == b.priority && a.node < b.node)
        }
    }
    private var storage: UnsafeMutablePointer<Key>
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

    /// The order-preserving key of `entry` with `payload` (see the type's comment): the node id
    /// (0 ..< 2^31) in the high half of the second key, the payload in the low half. A payload
    /// must be a function of the node (the searches store the node's coordinates), so it never
    /// reorders entries. O(1).
    @inline(__always) static func key(_ entry: OpenEntry, payload: UInt32) -> Key {
        let bits = entry.priority.bitPattern
        return Key(priority: bits & (1 << 63) == 0 ? bits | (1 << 63) : ~bits, node: UInt64(UInt32(entry.node)) << 32 | UInt64(payload))
    }

    /// Adds `entry` (node id in 0 ..< 2^31) with `payload`, a function of its node.
    /// O(log n) amortised (the storage doubles when full).
    @inline(__always) func insert(_ entry: OpenEntry, payload: UInt32 = 0) {
        if count == capacity { grow() }
        siftUp(Self.key(entry, payload: payload), from: count)
        count += 1
    }

    /// Places `key` at hole `i` or above it. O(log n).
    @inline(__always) private func siftUp(_ key: Key, from hole: Int) {
        var i = hole
        while i > 0 {
            let parent = (i - 1) >> 2
            guard key < storage[parent] else { break }
            storage[i] = storage[parent]
            i = parent
        }
        storage[i] = key
    }

    /// Removes the least entry and returns its node and payload, or nil when empty. O(log n).
    @inline(__always) func popMin() -> (node: Int, payload: UInt32)? {
        guard count > 0 else { return nil }
        let top = storage[0]
        count -= 1
        let result = (node: Int(top.node >> 32), payload: UInt32(truncatingIfNeeded: top.node))
        guard count > 0 else { return result }
        let last = storage[count]
        // The hole goes down to a leaf along the least children, then `last` rises into place.
        var i = 0
        while true {
            let first = 4 * i + 1
            guard first < count else { break }
            var child = first
            if first + 3 < count {
                let a = storage[first + 1] < storage[first] ? first + 1 : first
                let b = storage[first + 3] < storage[first + 2] ? first + 3 : first + 2
                child = storage[b] < storage[a] ? b : a
            } else {
                for c in (first + 1)..<count where storage[c] < storage[child] { child = c }
            }
            storage[i] = storage[child]
            i = child
        }
        siftUp(last, from: i)
        return result
    }

    /// Doubles the storage, keeping the entries. O(n).
    private func grow() {
        let bigger = UnsafeMutablePointer<Key>.allocate(capacity: capacity * 2)
        bigger.moveInitialize(from: storage, count: count)
        storage.deallocate()
        storage = bigger
        capacity *= 2
    }
}
