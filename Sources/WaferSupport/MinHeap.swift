/// A binary min-heap of (priority, value), ties broken by the smaller value: the router's A*
/// open set and the executor's event queue. O(log n) per push and pop; sifting moves a hole instead of swapping pairs.
public struct MinHeap: Sendable {
    public init() {}
    private var items: [(Double, Int)] = []
    public var isEmpty: Bool { items.isEmpty }
    /// Empties the heap, keeping its storage for reuse.
    public mutating func removeAll() { items.removeAll(keepingCapacity: true) }

    @inline(__always) private static func less(_ a: (Double, Int), _ b: (Double, Int)) -> Bool { a.0 < b.0 || (a.0 == b.0 && a.1 < b.1) }

    public mutating func push(_ priority: Double, _ value: Int) {
        let item = (priority, value)
        items.append(item)
        items.withUnsafeMutableBufferPointer { heap in
            var i = heap.count - 1
            while i > 0 {
                let parent = (i - 1) / 2
                guard Self.less(item, heap[parent]) else { break }
                heap[i] = heap[parent]
                i = parent
            }
            heap[i] = item
        }
    }

    public mutating func pop() -> (Double, Int)? {
        guard let first = items.first else { return nil }
        let last = items.removeLast()
        guard !items.isEmpty else { return first }
        items.withUnsafeMutableBufferPointer { heap in
            let n = heap.count
            var i = 0
            while true {
                let l = 2 * i + 1
                guard l < n else { break }
                let r = l + 1
                let m = r < n && Self.less(heap[r], heap[l]) ? r : l
                guard Self.less(heap[m], last) else { break }
                heap[i] = heap[m]
                i = m
            }
            heap[i] = last
        }
        return first
    }
}
