import WaferSupport
import WaferTarget

/// One wafer's mesh as the router sees it: flat bitmaps of dead PEs and dead links (one byte
/// per PE, made once per wafer and dropped after it; never an object per PE), and a windowed
/// shortest-path search for routes around defects.
struct FabricGrid {
    let width: Int
    let height: Int
    /// 1 where the PE is dead.
    private(set) var deadPE: [UInt8]
    /// Bit 0: the east link of the PE is dead; bit 1: its south link.
    private(set) var deadLink: [UInt8]
    /// Dead PEs per fabric row, sorted by column (rows without any are absent).
    private(set) var deadColumnsByRow: [Int: [Int]]
    /// Dead east links (x of the west end) and south links (x of the north end) per row.
    private(set) var deadEastLinksByRow: [Int: [Int]]
    private(set) var deadSouthLinksByRow: [Int: [Int]]

    init(target: Target, defects: WaferDefects) {
        width = target.fabricWidth
        height = target.fabricHeight
        deadPE = Array(repeating: 0, count: width * height)
        deadLink = Array(repeating: 0, count: width * height)
        deadColumnsByRow = [:]
        deadEastLinksByRow = [:]
        deadSouthLinksByRow = [:]
        for index in defects.deadPEs where Int(index) < width * height {
            deadPE[Int(index)] = 1
            deadColumnsByRow[Int(index) / width, default: []].append(Int(index) % width)
        }
        for id in defects.deadLinks where Int(id) / 2 < width * height {
            deadLink[Int(id) / 2] |= (id % 2 == 0) ? 1 : 2
            let pe = Int(id) / 2
            if id % 2 == 0 { deadEastLinksByRow[pe / width, default: []].append(pe % width) } else { deadSouthLinksByRow[pe / width, default: []].append(pe % width) }
        }
    }

    var hasDefects: Bool { !deadColumnsByRow.isEmpty || !deadEastLinksByRow.isEmpty || !deadSouthLinksByRow.isEmpty }

    @inline(__always) func index(_ x: Int, _ y: Int) -> Int { y * width + x }
    @inline(__always) func onFabric(_ x: Int, _ y: Int) -> Bool { x >= 0 && y >= 0 && x < width && y < height }
    @inline(__always) func isLive(_ x: Int, _ y: Int) -> Bool { onFabric(x, y) && deadPE[y * width + x] == 0 }

    /// Whether the link between two neighbouring PEs works (both ends on the fabric). O(1).
    func linkLive(_ ax: Int, _ ay: Int, _ bx: Int, _ by: Int) -> Bool {
        guard onFabric(ax, ay), onFabric(bx, by) else { return false }
        if ay == by {
            let x = min(ax, bx)
            return deadLink[index(x, ay)] & 1 == 0
        }
        let y = min(ay, by)
        return deadLink[index(ax, y)] & 2 == 0
    }

    /// Whether a straight run from (ax, ay) to (bx, by) (same row or column) touches only live
    /// PEs and links. O(length).
    func straightLive(_ ax: Int, _ ay: Int, _ bx: Int, _ by: Int) -> Bool {
        let dx = (bx > ax ? 1 : bx < ax ? -1 : 0), dy = (by > ay ? 1 : by < ay ? -1 : 0)
        var x = ax, y = ay
        guard isLive(x, y) else { return false }
        while x != bx || y != by {
            let nx = x + dx, ny = y + dy
            guard isLive(nx, ny), linkLive(x, y, nx, ny) else { return false }
            x = nx; y = ny
        }
        return true
    }

    /// The dead fabric columns of row `y` (sorted).
    func deadColumns(row y: Int) -> [Int] { deadColumnsByRow[y] ?? [] }

    /// The cheapest path from `source` to `sink` over live PEs and links inside the window
    /// `source/sink bounding box ± margin` (clipped to the fabric), by A* search (Hart, Nilsson
    /// & Raphael 1968) with PathFinder node costs `cost(pe)` (>= 1) and the Manhattan distance as
    /// the (consistent) heuristic. Ties prefer the lower PE index, so the result is deterministic.
    /// Returns PE ids from source to sink, or nil. O(W log W), W = window PEs, usually far fewer.
    func cheapestPath(from source: (x: Int, y: Int), to sink: (x: Int, y: Int), margin: Int,
                      cost: (Int) -> Double) -> [Int32]? {
        cheapestPath(from: source, to: sink, margin: margin, scratch: SearchScratch(), cost: cost)
    }

    /// The same search on a caller-owned `SearchScratch`, reused from call to call. The
    /// neighbour tests read the dead-PE and dead-link bytes directly (the window lies on the
    /// fabric, so no bounds test is needed beyond the window's). O(W log W) as above.
    func cheapestPath(from source: (x: Int, y: Int), to sink: (x: Int, y: Int), margin: Int,
                      scratch: SearchScratch, cost: (Int) -> Double) -> [Int32]? {
        guard isLive(source.x, source.y), isLive(sink.x, sink.y) else { return nil }
        let x0 = max(0, min(source.x, sink.x) - margin), x1 = min(width - 1, max(source.x, sink.x) + margin)
        let y0 = max(0, min(source.y, sink.y) - margin), y1 = min(height - 1, max(source.y, sink.y) + margin)
        let ww = x1 - x0 + 1, wh = y1 - y0 + 1, width = self.width
        scratch.begin(ww * wh)
        let heap = scratch.heap
        let start = (source.y - y0) * ww + (source.x - x0), goal = (sink.y - y0) * ww + (sink.x - x0)
        scratch.setDistance(start, 0, previous: -1)
        @inline(__always) func estimate(_ x: Int, _ y: Int) -> Double { Double(abs(x - sink.x) + abs(y - sink.y)) }
        // Each entry carries its PE's coordinates (x in the high 16 bits; sides are at most
        // `TargetLimits.maxFabricSide`, 4,096): no division per pop.
        heap.insert(OpenEntry(priority: estimate(source.x, source.y), node: start), payload: UInt32(source.x << 16 | source.y))
        deadPE.withUnsafeBufferPointer { dead in
            deadLink.withUnsafeBufferPointer { link in
                while let (node, at) = heap.popMin() {
                    if scratch.isClosed(node) { continue }
                    scratch.close(node)
                    if node == goal { break }
                    let x = Int(at >> 16), y = Int(at & 0xFFFF), pe = y * width + x
                    let d = scratch.distance(node)
                    @inline(__always) func relax(_ next: Int, _ nx: Int, _ ny: Int, _ npe: Int) {
                        guard !scratch.isClosed(next) else { return }
                        let nd = d + cost(npe)
                        let known = scratch.distance(next)
                        if nd < known || (nd == known && node < scratch.previous(next)) {
                            scratch.setDistance(next, nd, previous: node)
                            heap.insert(OpenEntry(priority: nd + estimate(nx, ny), node: next), payload: UInt32(nx << 16 | ny))
                        }
                    }
                    // North, east, south, west: the neighbour live and the link to it live.
                    if y > y0, dead[pe - width] == 0, link[pe - width] & 2 == 0 { relax(node - ww, x, y - 1, pe - width) }
                    if x < x1, dead[pe + 1] == 0, link[pe] & 1 == 0 { relax(node + 1, x + 1, y, pe + 1) }
                    if y < y1, dead[pe + width] == 0, link[pe] & 2 == 0 { relax(node + ww, x, y + 1, pe + width) }
                    if x > x0, dead[pe - 1] == 0, link[pe - 1] & 1 == 0 { relax(node - 1, x - 1, y, pe - 1) }
                }
            }
        }
        guard scratch.distance(goal).isFinite else { return nil }
        var length = 1, node = goal
        while node != start { node = scratch.previous(node); length += 1 }
        var path = [Int32](repeating: 0, count: length)
        node = goal
        for i in stride(from: length - 1, through: 0, by: -1) {
            path[i] = Int32(index(x0 + node % ww, y0 + node / ww))
            node = scratch.previous(node)
        }
        return path
    }
}

extension FabricGrid {
    /// The cheapest route from `source` to `sink` that can be colored now: a search over
    /// (PE, color) states in the window `source/sink bounding box ± margin`, where a hop keeps
    /// its color and needs it free at both ends, and a relay changes color at one PE (both free
    /// there) for `relayCost` hops. Dijkstra's algorithm on the layered graph with the Manhattan
    /// distance as A* heuristic; deterministic ties by state id. A route found this way is
    /// colorable by construction, relays included, which a PE-level search cannot promise (two
    /// neighbours may each have free colors but none in common). Paths that would visit a PE
    /// twice are rejected (nil). O(W x C log(W x C)) for W window PEs and C colors.
    func colorablePath(from source: (x: Int, y: Int), to sink: (x: Int, y: Int), margin: Int, colorCount: Int,
                       relayCost: Double, scratch: ColorableScratch = ColorableScratch(),
                       free: (Int) -> UInt64) -> (path: [Int32], runs: [(start: Int, color: Int)])? {
        guard isLive(source.x, source.y), isLive(sink.x, sink.y), colorCount > 0 else { return nil }
        let x0 = max(0, min(source.x, sink.x) - margin), x1 = min(width - 1, max(source.x, sink.x) + margin)
        let y0 = max(0, min(source.y, sink.y) - margin), y1 = min(height - 1, max(source.y, sink.y) + margin)
        let ww = x1 - x0 + 1, wh = y1 - y0 + 1
        scratch.begin(nodes: ww * wh, colors: colorCount)
        let states = scratch.states, heap = states.heap
        func mask(_ node: Int) -> UInt64 { scratch.mask(node) { free(index(x0 + node % ww, y0 + node / ww)) } }
        func estimate(_ node: Int) -> Double { Double(abs(x0 + node % ww - sink.x) + abs(y0 + node / ww - sink.y)) }
        let start = (source.y - y0) * ww + (source.x - x0), goal = (sink.y - y0) * ww + (sink.x - x0)
        var bits = mask(start)
        while bits != 0 {
            let c = bits.trailingZeroBitCount
            bits &= bits - 1
            guard c < colorCount else { break }
            states.setDistance(start * colorCount + c, 0, previous: -1)
            heap.insert(OpenEntry(priority: estimate(start), node: start * colorCount + c), payload: UInt32(source.x << 16 | source.y))
        }
        let steps = [(0, -1), (1, 0), (0, 1), (-1, 0)]
        var reached = -1
        // Entries carry their PE's coordinates (as in `cheapestPath`): no division per pop.
        while let (state, at) = heap.popMin() {
            if states.isClosed(state) { continue }
            states.close(state)
            let x = Int(at >> 16), y = Int(at & 0xFFFF)
            let node = (y - y0) * ww + (x - x0), c = state - node * colorCount
            if node == goal { reached = state; break }
            let d = states.distance(state)
            @inline(__always) func relax(_ next: Int, _ cost: Double, _ h: Double, _ payload: UInt32) {
                guard !states.isClosed(next), d + cost < states.distance(next) else { return }
                states.setDistance(next, d + cost, previous: state)
                heap.insert(OpenEntry(priority: d + cost + h, node: next), payload: payload)
            }
            // Relay: the same PE, another color free there.
            let here = Double(abs(x - sink.x) + abs(y - sink.y))
            var others = mask(node) & ~(UInt64(1) << UInt64(c))
            while others != 0 {
                let c2 = others.trailingZeroBitCount
                others &= others - 1
                guard c2 < colorCount else { break }
                relax(node * colorCount + c2, relayCost, here, at)
            }
            for (dx, dy) in steps {
                let nx = x + dx, ny = y + dy
                guard nx >= x0, nx <= x1, ny >= y0, ny <= y1, isLive(nx, ny), linkLive(x, y, nx, ny) else { continue }
                let next = (ny - y0) * ww + (nx - x0)
                guard mask(next) & (UInt64(1) << UInt64(c)) != 0 else { continue }
                relax(next * colorCount + c, 1, Double(abs(nx - sink.x) + abs(ny - sink.y)), UInt32(nx << 16 | ny))
            }
        }
        guard reached >= 0 else { return nil }
        // Walk back: consecutive states at one PE are a relay.
        var trail: [(node: Int, color: Int)] = []
        var state = reached
        while state >= 0 {
            trail.append((state / colorCount, state % colorCount))
            state = states.previous(state)
        }
        trail.reverse()
        var path: [Int32] = [], runs: [(start: Int, color: Int)] = []
        var seen = Set<Int>()
        for step in trail {
            if let last = path.last, Int(last) == index(x0 + step.node % ww, y0 + step.node / ww) {
                runs.append((path.count - 1, step.color))
                continue
            }
            guard seen.insert(step.node).inserted else { return nil }
            if runs.isEmpty { runs.append((0, step.color)) }
            path.append(Int32(index(x0 + step.node % ww, y0 + step.node / ww)))
        }
        return (path, runs)
    }

    /// Whether `colorablePath` with these arguments finds its goal: the PEs its (PE, colour)
    /// states can reach. A state reached at a PE reaches every colour free there (relays), so a
    /// PE is reached when a neighbour is, over a live link, and the two share a free colour
    /// below `colorCount`; the source needs one. Breadth-first flood of the window's PEs, no
    /// costs and no heap: O(W) for W window PEs, against O(W x C log(W x C)) for the search.
    func colorableReachable(from source: (x: Int, y: Int), to sink: (x: Int, y: Int), margin: Int, colorCount: Int,
                            free: (Int) -> UInt64) -> Bool {
        guard isLive(source.x, source.y), isLive(sink.x, sink.y), colorCount > 0 else { return false }
        let limit: UInt64 = colorCount >= 64 ? ~0 : (UInt64(1) << UInt64(colorCount)) - 1
        let x0 = max(0, min(source.x, sink.x) - margin), x1 = min(width - 1, max(source.x, sink.x) + margin)
        let y0 = max(0, min(source.y, sink.y) - margin), y1 = min(height - 1, max(source.y, sink.y) + margin)
        let ww = x1 - x0 + 1
        var masks = [UInt64](repeating: 0, count: ww * (y1 - y0 + 1))
        var reached = [Bool](repeating: false, count: masks.count)
        let start = (source.y - y0) * ww + (source.x - x0), goal = (sink.y - y0) * ww + (sink.x - x0)
        masks[start] = free(index(source.x, source.y)) & limit
        guard masks[start] != 0 else { return false }
        var known = [Bool](repeating: false, count: masks.count)
        known[start] = true
        reached[start] = true
        var queue = [start]
        var head = 0
        while head < queue.count {
            let node = queue[head]
            head += 1
            if node == goal { return true }
            let x = x0 + node % ww, y = y0 + node / ww
            for (nx, ny) in [(x, y - 1), (x + 1, y), (x, y + 1), (x - 1, y)] {
                guard nx >= x0, nx <= x1, ny >= y0, ny <= y1, isLive(nx, ny), linkLive(x, y, nx, ny) else { continue }
                let next = (ny - y0) * ww + (nx - x0)
                guard !reached[next] else { continue }
                if !known[next] { known[next] = true; masks[next] = free(index(nx, ny)) & limit }
                guard masks[next] & masks[node] != 0 else { continue }
                reached[next] = true
                queue.append(next)
            }
        }
        return false
    }
}
