import Testing
import WaferIR
@testable import WaferPasses
import WaferSupport

/// The simulated-annealing placer on its own: from a deliberately poor placement it must
/// recover most of the gap to the lower bound, and its knobs must matter.
@Suite struct AnnealerTests {
    /// A defect-free 4 x 4 grid of 8 x 8 slots (pitch 8 PEs) holding 12 groups: the lower bound
    /// of the hand-off is 11 pitches = 88 PEs, which the snake order meets.
    func tiling() -> WaferTiling {
        WaferTiling(wafer: 0, gridColumns: 4, gridRows: 4, slotWidth: 8, slotHeight: 8, spareColumns: 0, originX: 0, originY: 0,
                    programWidth: 32, programHeight: 32, usableSlots: Array(repeating: true, count: 16), groupCount: 12,
                    groupBytesPerPE: Array(repeating: 1, count: 12))
    }

    /// The poor start: consecutive groups alternate between the two ends of the snake (slots
    /// 0, 15, 1, 14, ... in snake order), so nearly every hand-off crosses the wafer.
    func poorStart(_ t: WaferTiling) -> (start: [Int], free: [Int]) {
        let free = PlacePass().snake(t)
        var start: [Int] = []
        var (low, high) = (0, free.count - 1)
        while start.count < t.groupCount {
            start.append(free[low]); low += 1
            if start.count < t.groupCount { start.append(free[high]); high -= 1 }
        }
        return (start, free)
    }

    /// Measured (seeds 1 to 8, default `PlaceConfig`): the poor start costs 240 PEs of
    /// hand-off and the annealer reaches the bound of 88 every time, a 63% cut. The test asks for
    /// a cut of at least 50% (at most 120) and at most 25% above the bound (110): comfortably
    /// below what it achieves, far above what a random walk keeps.
    @Test(arguments: [UInt64(1), 2, 3, 4])
    func annealingRecoversAPoorPlacement(_ seed: UInt64) throws {
        let t = tiling()
        let (start, free) = poorStart(t)
        let before = t.handoff(start), bound = 11 * 8
        #expect(before == 240)
        var rng = SeededRNG(seed: seed, stream: 0x5EED)
        let placed = PlacePass().anneal(start, free: free, tiling: t, config: PlaceConfig(), rng: &rng)
        #expect(Set(placed).count == t.groupCount && placed.allSatisfy(free.contains), "groups must keep distinct usable slots")
        let after = t.handoff(placed)
        #expect(after <= before / 2, "annealing cut the hand-off from \(before) to \(after) PEs only")
        #expect(after * 4 <= bound * 5, "\(after) PEs is more than 25% above the bound of \(bound)")
    }

    /// `place.steps` is the outer loop: 0 steps keep the start, a few steps stop short of what
    /// the default reaches (measured: 112 to 136 PEs at 5 steps, 88 at 200).
    @Test func theStepKnobBoundsTheSearch() throws {
        let t = tiling()
        let (start, free) = poorStart(t)
        func cost(steps: Int) -> Int {
            var config = PlaceConfig()
            config.steps = steps
            var rng = SeededRNG(seed: 1, stream: 0x5EED)
            return t.handoff(PlacePass().anneal(start, free: free, tiling: t, config: config, rng: &rng))
        }
        #expect(cost(steps: 0) == t.handoff(start))
        #expect(cost(steps: 5) > cost(steps: 200))
        #expect(cost(steps: 200) < cost(steps: 0))
    }

    /// VPR's cooling table, knob by knob.
    @Test func coolingFactorFollowsTheAcceptanceRate() {
        let c = PlaceConfig()
        #expect(c.coolingFactor(acceptanceRate: 0.99) == 0.5)
        #expect(c.coolingFactor(acceptanceRate: 0.9) == 0.9)
        #expect(c.coolingFactor(acceptanceRate: 0.5) == 0.95)
        #expect(c.coolingFactor(acceptanceRate: 0.1) == 0.8)
        #expect(c.movesPerStep(groups: 2) == 25)    // 10 x 2^(4/3) = 25.2
        #expect(c.movesPerStep(groups: 1) == 20)    // the floor
    }
}
