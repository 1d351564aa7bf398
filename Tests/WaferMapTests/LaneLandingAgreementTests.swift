import Testing
import WaferExec
import WaferPasses
import WaferSupport

/// The router (WaferPasses' `LaneLanding`) and the executor (WaferExec's `HandoffLanding`)
/// implement the lane-landing rule of docs/plan-format.md each with their own code; on random
/// fabrics and lanes they must land every lane on the same PE (or both find none).
@Suite struct LaneLandingAgreementTests {
    /// A random lane on a `width x height` fabric: from a source, vertically to a corner row,
    /// then horizontally to the sink column (as a bundle lane runs); one PE at times.
    static func lane(width: Int, height: Int, rng: inout SeededRNG) -> [(x: Int, y: Int)] {
        let s = (x: rng.below(width), y: rng.below(height))
        guard rng.below(8) != 0 else { return [s] }
        let corner = rng.below(height), sinkX = rng.below(width)
        var path = [s]
        var x = s.x, y = s.y
        while y != corner { y += corner > y ? 1 : -1; path.append((x, y)) }
        while x != sinkX { x += sinkX > x ? 1 : -1; path.append((x, y)) }
        return path
    }

    @Test func theExecutorLandsEveryLaneWhereTheRouterDoes() {
        var rng = SeededRNG(seed: 21)
        var landedOn = 0, landedAcross = 0, lost = 0
        for _ in 0..<4000 {
            // Fabrics narrower and wider than the 64-PE reach; defect rates up to nearly all dead.
            let width = 1 + rng.below(rng.below(4) == 0 ? 150 : 12), height = 1 + rng.below(rng.below(4) == 0 ? 150 : 12)
            let rate = [0.2, 0.6, 0.95, 1.0][rng.below(4)]
            var dead = [Bool](repeating: false, count: width * height)
            for i in dead.indices { dead[i] = rng.unit() < rate }
            let onFabric = { (x: Int, y: Int) in x >= 0 && y >= 0 && x < width && y < height }
            let isLive = { (x: Int, y: Int) in onFabric(x, y) && !dead[y * width + x] }
            let path = Self.lane(width: width, height: height, rng: &rng)
            let router = LaneLanding.after(path, onFabric: onFabric, isLive: isLive)
            let executor = HandoffLanding.landing(path, onFabric: onFabric, isLive: isLive)
            #expect(router?.x == executor?.x && router?.y == executor?.y,
                    "lane \(path.map { "(\($0.x),\($0.y))" }) on \(width)x\(height): router \(String(describing: router)), executor \(String(describing: executor))")
            guard let landing = executor, let sink = path.last else { lost += 1; continue }
            // Past the sink in the lane's direction (east for one PE), or across it.
            let before = path.count > 1 ? path[path.count - 2] : (x: sink.x - 1, y: sink.y)
            let (dx, dy) = (sink.x - before.x, sink.y - before.y), (ox, oy) = (landing.x - sink.x, landing.y - sink.y)
            if ox * dy == oy * dx && ox * dx + oy * dy > 0 { landedOn += 1 } else { landedAcross += 1 }
        }
        // The cases exercised both searches and the no-landing outcome.
        #expect(landedOn > 0 && landedAcross > 0 && lost > 0, "\(landedOn) on, \(landedAcross) across, \(lost) lost")
        #expect(landedOn + landedAcross + lost == 4000)
    }
}
