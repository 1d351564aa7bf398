/// Per-PE color occupancy of one wafer and the greedy allocation of colors to explicit routes.
///
/// `used[pe]` is a bit mask of the colors some route configures at that PE. Two different
/// routes never share a color at a PE (line classes share colors only among flows with the same
/// configuration, and they are entered as one). A path gets, from its source on, the color that
/// stays free the longest; where no color is free any further, a relay (the PE's compute engine
/// receives on one color and re-sends on another) starts a new run. The greedy choice is
/// optimal for the number of runs (interval covering). O(path x colors).
struct ColorAllocator {
    let budget: Int
    private(set) var used: [UInt64]

    init(budget: Int, pes: Int) {
        self.budget = min(max(budget, 0), 64)
        used = Array(repeating: 0, count: pes)
    }

    var allColors: UInt64 { budget >= 64 ? ~0 : (UInt64(1) << UInt64(budget)) - 1 }

    mutating func mark(_ pe: Int, colors mask: UInt64) { used[pe] |= mask }
    func free(_ pe: Int) -> UInt64 { allColors & ~used[pe] }
    func colorsUsed(_ pe: Int) -> Int { used[pe].nonzeroBitCount }

    /// Colors for `path` as runs `(start index, color)`; nil when no relay point works.
    /// A run after the first starts at its relay PE, which receives on the previous run's color
    /// and re-sends on the new one, so both colors are taken there. Each run takes the color
    /// that stays free the longest; its relay sits at the latest PE where a second color is free
    /// for the next step too. Plans first, then marks the colors it takes.
    mutating func assign(_ path: [Int32]) -> [(start: Int, color: Int)]? {
        guard !path.isEmpty else { return [] }
        var runs: [(start: Int, color: Int)] = []
        var i = 0
        var exclude: UInt64 = 0  // the previous run's color, taken at the relay PE
        while true {
            var candidates = free(Int(path[i])) & ~exclude
            guard candidates != 0 else { return nil }
            var j = i + 1
            while j < path.count {
                let next = candidates & free(Int(path[j]))
                if next == 0 { break }
                candidates = next
                j += 1
            }
            let color = candidates.trailingZeroBitCount
            runs.append((i, color))
            if j >= path.count { break }
            let bit = UInt64(1) << UInt64(color)
            // The relay: the latest PE r in [i, j-1] with another color free at r and r+1.
            var relay: Int?
            var r = j - 1
            while r >= i {
                if (free(Int(path[r])) & ~bit) & free(Int(path[r + 1])) != 0 { relay = r; break }
                r -= 1
            }
            guard let at = relay, at > i || runs.count == 1 || at == i else { return nil }
            if at == i && runs.count > 1 && runs[runs.count - 2].start == i { return nil }
            i = at
            exclude = bit
        }
        occupy(path, runs: runs)
        return runs
    }

    /// Marks the colors `runs` take on `path` (what a successful `assign` marks). O(path).
    mutating func occupy(_ path: [Int32], runs: [(start: Int, color: Int)]) {
        for (k, run) in runs.enumerated() {
            let end = k + 1 < runs.count ? runs[k + 1].start : path.count - 1
            guard run.start <= end else { continue }
            for index in run.start...end { used[Int(path[index])] |= UInt64(1) << UInt64(run.color) }
        }
    }

    /// Clears the colors `runs` took on `path` (the inverse of `occupy`; a route's colors are its
    /// own at every PE it crosses, so this frees nothing another route holds). O(path).
    mutating func release(_ path: [Int32], runs: [(start: Int, color: Int)]) {
        for (k, run) in runs.enumerated() {
            let end = k + 1 < runs.count ? runs[k + 1].start : path.count - 1
            guard run.start <= end else { continue }
            for index in run.start...end { used[Int(path[index])] &= ~(UInt64(1) << UInt64(run.color)) }
        }
    }

    /// The colors `runs` take at path index `i` (two at a relay). O(runs).
    static func colors(at i: Int, pathCount: Int, runs: [(start: Int, color: Int)]) -> UInt64 {
        var mask: UInt64 = 0
        for (k, run) in runs.enumerated() {
            let end = k + 1 < runs.count ? runs[k + 1].start : pathCount - 1
            if run.start <= i && i <= end { mask |= UInt64(1) << UInt64(run.color) }
        }
        return mask
    }

    /// The lowest color free at every PE in `pes`, or nil. O(pes).
    func commonFree<S: Sequence>(_ pes: S) -> Int? where S.Element == Int {
        var candidates = allColors
        for pe in pes {
            candidates &= free(pe)
            if candidates == 0 { return nil }
        }
        return candidates == 0 ? nil : candidates.trailingZeroBitCount
    }
}

/// A directed graph of channel groups and the dependencies between them, checked for cycles
/// (Dally & Seitz 1987: a routing function is deadlock-free when its channel-dependency graph
/// is acyclic). Iterative depth-first search, O(nodes + edges).
struct DependencyGraph {
    private(set) var labels: [String] = []
    private(set) var edges: [[Int]] = []
    private var index: [String: Int] = [:]

    var edgeCount: Int { edges.reduce(0) { $0 + $1.count } }

    mutating func node(_ label: String) -> Int {
        if let i = index[label] { return i }
        labels.append(label)
        edges.append([])
        index[label] = labels.count - 1
        return labels.count - 1
    }

    mutating func edge(_ from: Int, _ to: Int) { edges[from].append(to) }

    /// A cycle as node labels (first repeated at the end), or nil when the graph is acyclic.
    func findCycle() -> [String]? {
        var state = Array(repeating: 0, count: labels.count)  // 0 new, 1 on stack, 2 done
        var parent = Array(repeating: -1, count: labels.count)
        for start in labels.indices where state[start] == 0 {
            var stack: [(node: Int, next: Int)] = [(start, 0)]
            state[start] = 1
            while let top = stack.last {
                if top.next < edges[top.node].count {
                    stack[stack.count - 1].next += 1
                    let to = edges[top.node][top.next]
                    if state[to] == 1 {
                        var cycle = [labels[to]]
                        var walk = top.node
                        var trail: [String] = []
                        while walk != to && walk != -1 { trail.append(labels[walk]); walk = parent[walk] }
                        cycle += trail.reversed()
                        cycle.append(labels[to])
                        return cycle
                    }
                    if state[to] == 0 {
                        state[to] = 1
                        parent[to] = top.node
                        stack.append((to, 0))
                    }
                } else {
                    state[top.node] = 2
                    stack.removeLast()
                }
            }
        }
        return nil
    }
}
