import WaferPlan

/// The allreduce over one line segment of `length` positions, as the plan's `mode` defines it
/// (docs/routing-and-schedule.md): WaferLLM's two-level tree (He et al., "WaferLLM", OSDI 2025,
/// section 5): G = round(sqrt(P)) groups of g = ceil(P / G) consecutive positions stream
/// toward their middle; the middles stream toward the root (the middle of the middle group);
/// the root multicasts the result back. A chain is one group. Written for the executor from
/// the format's definition; it shares no code with the router. O(1) per query.
public struct ReductionTree: Sendable {
    public let length: Int
    public let groupSize: Int
    public let middles: [Int]
    public let rootGroup: Int

    public init(length: Int, tree: Bool) {
        let n = max(length, 1)
        self.length = n
        let groups = tree ? max(1, Int(Double(n).squareRoot().rounded())) : 1
        let size = (n + groups - 1) / groups
        groupSize = size
        middles = stride(from: 0, to: n, by: size).map { $0 + min(size, n - $0) / 2 }
        rootGroup = (middles.count - 1) / 2
    }

    public var root: Int { middles[rootGroup] }
    public func group(of p: Int) -> Int { min(p / groupSize, middles.count - 1) }
    public func groupRange(_ k: Int) -> Range<Int> { (k * groupSize)..<min((k + 1) * groupSize, length) }

    /// The roles whose regular hop crosses the pair (i, i + 1) in the direction `forward`
    /// (from i to i + 1) or backward.
    public func roles(crossing i: Int, forward: Bool) -> [PlanRouteRole] {
        var roles: [PlanRouteRole] = []
        let k = group(of: i)
        if group(of: i + 1) == k && (i + 1 <= middles[k]) == forward { roles.append(.stream) }
        for leader in 0..<max(0, middles.count - 1) where middles[leader] <= i && i + 1 <= middles[leader + 1] {
            if (leader + 1 <= rootGroup) == forward { roles.append(.leader) }
        }
        if (i + 1 > root) == forward { roles.append(.broadcast) }
        return roles
    }

    /// Positions whose partial sums never reach the root when the `role` hop across (i, i + 1)
    /// fails (for `broadcast`: positions that never receive the result).
    public func cutOff(role: PlanRouteRole, crossing i: Int) -> Range<Int> {
        switch role {
        case .stream:
            let k = group(of: i), range = groupRange(k)
            return i + 1 <= middles[k] ? range.lowerBound..<(i + 1) : (i + 1)..<range.upperBound
        case .leader:
            guard let leader = (0..<max(0, middles.count - 1)).first(where: { middles[$0] <= i && i + 1 <= middles[$0 + 1] }) else { return 0..<0 }
            return leader + 1 <= rootGroup ? 0..<groupRange(leader).upperBound : groupRange(leader + 1).lowerBound..<length
        default:
            return i + 1 <= root ? 0..<(i + 1) : (i + 1)..<length
        }
    }
}
