/// Where a hand-off lane lands when its sink and every PE before it on its path are dead
/// (docs/plan-format.md, bundles): the first live PE past the sink in the lane's last direction
/// (east for a lane of one PE), within 64 PEs; where that leaves the fabric, the nearest live
/// PE of the edge line through the sink (the lower coordinate first on a tie), within 64.
/// The router's copy of a rule of the plan format: the executor derives the same landing with
/// its own code (WaferExec's `HandoffLanding`), so a bug here shows up as a lost lane in the
/// check; a test compares the two. Package access only for that test. O(64).
package enum LaneLanding {
    package static func after(_ path: [(x: Int, y: Int)], onFabric: (Int, Int) -> Bool, isLive: (Int, Int) -> Bool) -> (x: Int, y: Int)? {
        guard let last = path.last else { return nil }
        let before = path.count > 1 ? path[path.count - 2] : (x: last.x - 1, y: last.y)
        let dx = last.x - before.x, dy = last.y - before.y
        var x = last.x, y = last.y
        for _ in 0..<64 {
            x += dx; y += dy
            guard onFabric(x, y) else { break }
            if isLive(x, y) { return (x, y) }
        }
        for d in 1...64 {
            for s in [-d, d] {
                let (cx, cy) = dx != 0 ? (last.x, last.y + s) : (last.x + s, last.y)
                if onFabric(cx, cy) && isLive(cx, cy) { return (cx, cy) }
            }
        }
        return nil
    }
}
