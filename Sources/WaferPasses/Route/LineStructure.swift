import WaferIR

/// The allreduce structure of one line segment of `length` positions: WaferLLM's two-level tree
/// (groups of `g` consecutive positions stream toward their middle; the middles stream toward
/// the root, the middle of the middle group; the root multicasts the result back) or a chain
/// (one group). Gives, for a broken link between positions `i` and `i+1`, the transfers that
/// cross it, and a rank for each stage such that every dependency of a correct schedule goes
/// from a lower rank to a higher one (Dally & Seitz's condition for deadlock freedom). O(1)
/// per query after O(groups) set-up.
struct LineStructure {
    let length: Int
    let groupSize: Int
    let middles: [Int]
    let rootGroup: Int
    /// G of the model: round(sqrt(P)) for a tree, 1 for a chain.
    let groups: Int

    init(length: Int, mode: AllreduceMode) {
        self.length = max(length, 1)
        let groups = mode == .tree ? max(1, Int(Double(self.length).squareRoot().rounded())) : 1
        self.groups = groups
        groupSize = (self.length + groups - 1) / groups
        var middles: [Int] = []
        var start = 0
        while start < self.length {
            let size = min(groupSize, self.length - start)
            middles.append(start + size / 2)
            start += groupSize
        }
        self.middles = middles
        rootGroup = (middles.count - 1) / 2
    }

    var root: Int { middles[rootGroup] }
    func group(of position: Int) -> Int { position / groupSize }

    /// A transfer of the allreduce between two positions (for `leader`: group indices).
    struct Transfer: Hashable {
        var role: ExceptionRole
        var source: Int
        var sink: Int
    }

    /// The transfers whose regular route crosses the link between positions `i` and `i + 1`.
    func transfers(crossing i: Int) -> [Transfer] {
        var result: [Transfer] = []
        let k = group(of: i)
        if group(of: i + 1) == k {
            let middle = middles[k]
            result.append(i + 1 <= middle ? Transfer(role: .stream, source: i, sink: i + 1) : Transfer(role: .stream, source: i + 1, sink: i))
        }
        if middles.count > 1 {
            for leader in 0..<(middles.count - 1) where middles[leader] <= i && i + 1 <= middles[leader + 1] {
                result.append(leader + 1 <= rootGroup ? Transfer(role: .leader, source: leader, sink: leader + 1)
                                                       : Transfer(role: .leader, source: leader + 1, sink: leader))
            }
        }
        result.append(i + 1 <= root ? Transfer(role: .broadcast, source: i + 1, sink: i) : Transfer(role: .broadcast, source: i, sink: i + 1))
        return result
    }

    /// Positions (for `leader`, of the middles) where a transfer starts and ends.
    func endpoints(_ t: Transfer) -> (Int, Int) {
        t.role == .leader ? (middles[t.source], middles[t.sink]) : (t.source, t.sink)
    }

    /// The stage rank of an endpoint: streams rise toward their group's middle, leader hops
    /// toward the root group, the broadcast away from the root.
    func rank(_ role: ExceptionRole, _ index: Int) -> Int {
        switch role {
        case .stream, .lane:
            let middle = middles[min(group(of: index), middles.count - 1)]
            return groupSize - abs(index - middle)
        case .leader:
            return groupSize + 1 + (middles.count - abs(index - rootGroup))
        case .broadcast:
            return groupSize + middles.count + 2 + abs(index - root)
        }
    }

    /// Relay stages and hops on the critical path of one allreduce over the line (the calibrated
    /// two-level-tree model: `hop x (P + g/2) + relay x (g/2 + G/2)`; a chain: `P` hops and
    /// `P/2` relays).
    var criticalHops: Int { length + (groups > 1 ? groupSize / 2 : 0) }
    var criticalRelays: Int { groups > 1 ? groupSize / 2 + groups / 2 : length / 2 }
}
