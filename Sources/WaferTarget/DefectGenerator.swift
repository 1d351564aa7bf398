import WaferSupport

/// Draws reproducible defect maps: the same target, rates and seed give the same dead PEs on
/// every machine. Wafer `i` uses its own random stream, so a wafer's defects do not depend on
/// how many wafers were asked for.
///
/// Two models (docs/defect-format.md):
/// - **uniform**: every PE is dead independently with probability `rate` (Bernoulli), drawn by
///   geometric skipping, O(dead PEs) per wafer;
/// - **clustered**: a Neyman–Scott cluster process. Cluster centres fall uniformly with density
///   `rate / meanClusterSize` per PE; each cluster holds `1 + Poisson(meanClusterSize - 1)` dead
///   PEs scattered around its centre with a Gaussian of `clusterRadius` PEs. Counts per area are
///   overdispersed as in the negative-binomial yield model of Stapper (IBM J. R&D 1983);
///   the expected dead fraction is `rate`, a little less where defects overlap or fall off the
///   fabric. O(dead PEs) per wafer.
/// Dead links are uniform in both models, with probability `linkRate` per link.
public struct DefectGenerator: Sendable, Hashable {
    public struct Clustering: Sendable, Hashable {
        public var meanClusterSize: Double
        public var clusterRadius: Double
        public init(meanClusterSize: Double = 8, clusterRadius: Double = 1.5) {
            self.meanClusterSize = meanClusterSize
            self.clusterRadius = clusterRadius
        }
    }

    public var targetName: String
    public var width: Int
    public var height: Int
    public var rate: Double
    public var linkRate: Double
    public var clustering: Clustering?
    public var seed: UInt64
    /// Set when the draw is physical (`physical: true` on a target with `redundancy`): `height`
    /// is then the physical height, and `wafer(_:)` returns the logical holes after repair.
    public var redundancy: Redundancy?
    /// The logical fabric's height (`height` without redundancy).
    public var logicalHeight: Int
    /// Nested maps: draw at this rate and keep each defect (each cluster, when clustered) whose
    /// own uniform score is below `rate / nestedMaxRate`, so that with one seed the map at a
    /// higher rate contains the map at a lower one (`wafermap defects cost`). Nil: a plain draw.
    public var nestedMaxRate: Double?

    /// `physical`: draw on `target`'s physical fabric (spare rows included) and repair, when it
    /// has `redundancy`; otherwise (or without redundancy) draw on the logical fabric as before.
    public init(target: Target, rate: Double, linkRate: Double? = nil, clustering: Clustering? = nil, seed: UInt64,
                physical: Bool = false, nestedMaxRate: Double? = nil) {
        self.targetName = target.name
        self.width = target.fabricWidth
        self.redundancy = physical ? target.redundancy : nil
        self.logicalHeight = target.fabricHeight
        self.height = physical ? target.physicalHeight : target.fabricHeight
        self.rate = rate
        self.linkRate = linkRate ?? rate / 10
        self.clustering = clustering
        self.seed = seed
        self.nestedMaxRate = nestedMaxRate.map { max($0, rate) }
    }

    /// The defects wafer `index` has as the passes see them: the logical holes after the
    /// hardware's repair when the draw is physical, else the draw itself. O(dead PEs + dead links).
    public func wafer(_ index: Int) -> WaferDefects {
        guard let r = redundancy else { return drawn(index) }
        return SpareRowRepair.repair(drawn(index), width: width, logicalHeight: logicalHeight, redundancy: r).logical
    }

    /// What the spare rows made of wafer `index`'s physical draw; nil for a logical draw. O(defects).
    public func repairSummary(_ index: Int) -> RepairSummary? {
        guard let r = redundancy else { return nil }
        return SpareRowRepair.repair(drawn(index), width: width, logicalHeight: logicalHeight, redundancy: r).summary
    }

    /// Largest accepted rate, for dead PEs and dead links alike (`defects generate --rate`,
    /// `--link-rate`, and `count`/`place`/`compile --defect-rate`): 5%. Real wafers are of
    /// order 0.005% before repair and 0.1% is the documented stress setting; beyond a few
    /// percent a wafer is a sieve no mapping serves, and sealing, placing and routing around
    /// its defects takes minutes instead of seconds (docs/defect-format.md).
    public static let maxRate = 0.05

    /// Most defects (dead PEs plus dead links) one generated map may hold: about 18 MB of YAML,
    /// well inside what `DefectMapIO` reads back. 32 WSE-3 wafers at the 0.1% stress rate are
    /// about 34,000.
    public static let maxDefects = 1_000_000

    /// Dead PEs plus dead links `wafers` wafers are expected to have (links: two slots per PE). O(1).
    public func expectedDefects(wafers: Int) -> Double {
        Double(wafers) * (rate + 2 * linkRate) * Double(width) * Double(height)
    }

    /// Refuses, before anything is drawn, a map of `wafers` wafers expected to exceed
    /// `maxDefects`. O(1).
    public func checkBounds(wafers: Int) throws(DiagnosticError) {
        let expected = expectedDefects(wafers: wafers)
        guard expected <= Double(Self.maxDefects) else {
            throw .error(TargetFailure.defectsGenerateTooMany, "\(wafers) wafers of \(targetName) at rate \(rate) and link rate \(linkRate) would hold about \(Units.grouped(Int(expected.rounded()))) defects; a generated map holds at most \(Units.grouped(Self.maxDefects)) (lower --wafers or --rate)", at: nil)
        }
    }

    /// Wafer `index` as drawn, in the generator's coordinates (physical when `redundancy` is
    /// set). Nested draws take the positions of the `nestedMaxRate` draw and a score per defect
    /// (per cluster) from a second stream. O(dead PEs + dead links at the drawn rate).
    public func drawn(_ index: Int) -> WaferDefects {
        var rng = SeededRNG(seed: seed, stream: UInt64(index) &+ 1)
        var scores: SeededRNG? = nil
        var keep = 1.0, drawRate = rate, drawLinkRate = linkRate
        if let top = nestedMaxRate, top > 0 {
            scores = SeededRNG(seed: seed, stream: (UInt64(index) &+ 1) | (1 << 48))
            keep = rate / top
            drawRate = top
            drawLinkRate = keep > 0 ? min(linkRate / keep, Self.maxRate) : 0
        }
        func kept() -> Bool {
            guard scores != nil else { return true }
            return scores!.unit() < keep
        }
        var pes: [Int32]
        if let c = clustering {
            pes = clustered(&rng, c, rate: drawRate, keep: kept)
        } else {
            pes = bernoulli(&rng, count: width * height, p: drawRate).filter { _ in kept() }
        }
        if keep <= 0 { pes = [] }
        let linkSlots = 2 * width * height
        var links: [Int32] = []
        for slot in bernoulli(&rng, count: linkSlots, p: drawLinkRate) where kept() {
            let pe = Int(slot) / 2
            let (x, y) = (pe % width, pe / width)
            // Keep only links that exist (the east link of the last column, the south link of the last row do not).
            if slot % 2 == 0 ? x + 1 < width : y + 1 < height { links.append(slot) }
        }
        return WaferDefects(deadPEs: pes, deadLinks: links)
    }

    /// Indices in 0..<count chosen independently with probability p, by geometric gaps.
    func bernoulli(_ rng: inout SeededRNG, count: Int, p: Double) -> [Int32] {
        guard p > 0 else { return [] }
        var chosen: [Int32] = []
        let logQ = log(1 - min(p, 0.999_999))
        var index = -1
        while true {
            let u = max(rng.unit(), 0x1.0p-60)
            let gapValue = floor(log(u) / logQ)
            // Compare as Double first: for tiny p the gap is huge or infinite and must not reach Int().
            guard gapValue.isFinite, gapValue < Double(count) else { break }
            let gap = Int(gapValue)
            guard index + gap + 1 < count else { break }
            index += gap + 1
            chosen.append(Int32(index))
        }
        return chosen
    }

    /// Clustered dead PEs at `rate`; `keep` is asked once per cluster (nested draws thin whole
    /// clusters, so the kept ones keep their shape).
    func clustered(_ rng: inout SeededRNG, _ c: Clustering, rate: Double, keep: () -> Bool = { true }) -> [Int32] {
        let pes = Double(width * height)
        let clusters = rng.poisson(rate * pes / max(c.meanClusterSize, 1))
        var dead: [Int32] = []
        for _ in 0..<clusters {
            let cx = rng.below(width), cy = rng.below(height)
            let size = 1 + rng.poisson(max(c.meanClusterSize - 1, 0))
            let kept = keep()
            for member in 0..<size {
                let dx = member == 0 ? 0 : Int((rng.normal() * c.clusterRadius).rounded())
                let dy = member == 0 ? 0 : Int((rng.normal() * c.clusterRadius).rounded())
                let x = cx + dx, y = cy + dy
                if kept, x >= 0, x < width, y >= 0, y < height { dead.append(Int32(y * width + x)) }
            }
        }
        return dead
    }
}

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
