/// Scratch state of one search window for `FabricGrid.cheapestPath`, reused across searches (the
/// router makes ~10,000 searches per wafer; fresh arrays per search cost a fifth of its time).
/// One 16-byte record per window node, stamped with the search's generation: `2g` when the node's
/// distance is known in search `g`, `2g + 1` when it is closed, anything else means untouched, so
/// starting a search clears nothing. Grows to the largest window seen. Raw storage: the search
/// loop is the route step's hottest code, and it runs on one thread per scratch.
final class SearchScratch {
    struct Node {
        var distance: Double
        var previous: Int32
        var stamp: UInt32
    }
    private var nodes: UnsafeMutablePointer<Node>
    private var capacity: Int
    private var open: UInt32 = 0
    private var closedStamp: UInt32 = 1
    let heap = OpenHeap()

    init() {
        capacity = 0
        nodes = .allocate(capacity: 1)
    }

    deinit { nodes.deallocate() }

    /// Starts a search over `count` window nodes. O(1) amortised (O(count) when it grows or the
    /// generation wraps).
    func begin(_ count: Int) {
        if capacity < count {
            nodes.deallocate()
            capacity = max(count, capacity * 2)
            nodes = .allocate(capacity: capacity)
            nodes.initialize(repeating: Node(distance: .infinity, previous: -1, stamp: 0), count: capacity)
            (open, closedStamp) = (0, 1)
        }
        if open >= UInt32.max - 3 {
            for i in 0..<capacity { nodes[i].stamp = 0 }
            (open, closedStamp) = (0, 1)
        }
        open += 2
        closedStamp = open + 1
        heap.removeAll()
    }

    /// The node's distance in this search (infinity when untouched). O(1).
    @inline(__always) func distance(_ node: Int) -> Double { nodes[node].stamp | 1 == closedStamp ? nodes[node].distance : .infinity }
    /// The node's predecessor in this search (-1 when untouched or the start). O(1).
    @inline(__always) func previous(_ node: Int) -> Int { nodes[node].stamp | 1 == closedStamp ? Int(nodes[node].previous) : -1 }
    /// Records a (better) distance for an open node. O(1).
    @inline(__always) func setDistance(_ node: Int, _ d: Double, previous: Int) {
        nodes[node] = Node(distance: d, previous: Int32(truncatingIfNeeded: previous), stamp: open)
    }
    @inline(__always) func isClosed(_ node: Int) -> Bool { nodes[node].stamp == closedStamp }
    @inline(__always) func close(_ node: Int) { nodes[node].stamp = closedStamp }
}

/// Scratch state of `FabricGrid.colorablePath`, reused across a colouring's searches: its
/// (PE, colour) states on a `SearchScratch`, and each window PE's free colours, asked of the
/// caller once per search and stamped like the states. O(1) to start a search (amortised).
final class ColorableScratch {
    let states = SearchScratch()
    private var masks: [UInt64] = []
    private var stamps: [UInt32] = []
    private var generation: UInt32 = 0

    /// Starts a search over `nodes` window PEs of `colors` colours each.
    func begin(nodes: Int, colors: Int) {
        states.begin(nodes * colors)
        if stamps.count < nodes {
            masks = [UInt64](repeating: 0, count: nodes)
            stamps = [UInt32](repeating: 0, count: nodes)
            generation = 0
        }
        if generation == UInt32.max {
            for i in stamps.indices { stamps[i] = 0 }
            generation = 0
        }
        generation += 1
    }

    /// Window PE `node`'s free colours: `make()` the first time this search asks. O(1).
    @inline(__always) func mask(_ node: Int, _ make: () -> UInt64) -> UInt64 {
        if stamps[node] != generation { stamps[node] = generation; masks[node] = make() }
        return masks[node]
    }
}
