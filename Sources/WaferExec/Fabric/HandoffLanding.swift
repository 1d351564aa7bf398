/// Where a hand-off lane lands when its sink and every PE before it on its path are dead,
/// derived from the rule as docs/plan-format.md ("bundles") states it, with the executor's
/// own code: the router keeps its own copy (WaferPasses' `LaneLanding`), so a router that
/// breaks the rule leaves a lane no exception route carries, and the check reports it lost.
///
/// The rule: the lane's direction is its last hop (east for a lane of one PE). Walk on from
/// the sink in that direction, at most `reach` PEs and not past the fabric edge; the first
/// live PE is the landing. Failing that, the landing is the nearest live PE on the line
/// through the sink across that direction (the sink's column for an east or west lane, its
/// row for a north or south one), at a distance of 1 to `reach`, the lower coordinate first
/// at equal distance. Failing both, the lane has no landing. O(reach).
package enum HandoffLanding {
    /// How far either search looks, in PEs.
    package static let reach = 64

    package static func landing(_ path: [(x: Int, y: Int)], onFabric: (Int, Int) -> Bool,
                                isLive: (Int, Int) -> Bool) -> (x: Int, y: Int)? {
        guard let sink = path.last else { return nil }
        let direction: (x: Int, y: Int)
        if path.count >= 2 {
            let before = path[path.count - 2]
            direction = (sink.x - before.x, sink.y - before.y)
        } else {
            direction = (1, 0)
        }
        // On past the sink.
        for k in 1...reach {
            let x = sink.x + k * direction.x, y = sink.y + k * direction.y
            guard onFabric(x, y) else { break }
            if isLive(x, y) { return (x, y) }
        }
        // Across the lane's direction through the sink, nearest first, lower coordinate first.
        let across: (x: Int, y: Int) = direction.x != 0 ? (0, 1) : (1, 0)
        for distance in 1...reach {
            for signed in [-distance, distance] {
                let x = sink.x + signed * across.x, y = sink.y + signed * across.y
                if onFabric(x, y) && isLive(x, y) { return (x, y) }
            }
        }
        return nil
    }
}
