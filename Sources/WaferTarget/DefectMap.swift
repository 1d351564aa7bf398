import WaferSupport

/// A direction out of a PE on the mesh.
public enum Direction: String, Sendable, Hashable, CaseIterable {
    case north = "N", east = "E", south = "S", west = "W"
}

/// The dead PEs and dead links of one wafer, stored compactly: sorted row-major PE indices
/// (`y * width + x`) and sorted link ids. Never one object per PE; lookups are binary searches.
/// The ids are 32-bit: every accepted fabric has sides of at most `TargetLimits.maxFabricSide`
/// (4,096) PEs, so the largest link id, `2 * (4096 * 4096 - 1) + 1`, is below 2^25.
public struct WaferDefects: Sendable, Hashable {
    /// Sorted, unique `y * width + x` of every dead PE.
    public private(set) var deadPEs: [Int32]
    /// Sorted, unique link ids: `2 * (y * width + x) + 0` for the link from (x, y) to (x+1, y),
    /// `+ 1` for the link from (x, y) to (x, y+1). Links are bidirectional.
    public private(set) var deadLinks: [Int32]

    public init(deadPEs: [Int32] = [], deadLinks: [Int32] = []) {
        self.deadPEs = Array(Set(deadPEs)).sorted()
        self.deadLinks = Array(Set(deadLinks)).sorted()
    }

    public static let none = WaferDefects()

    /// O(log dead PEs).
    public func isDead(pe index: Int32) -> Bool { Self.contains(deadPEs, index) }

    public func isDead(link id: Int32) -> Bool { Self.contains(deadLinks, id) }

    /// Dead PEs inside the target's program rectangle. O(dead PEs).
    public func deadPEsInProgramArea(of target: Target) -> Int {
        deadPEs.reduce(0) { count, index in
            let i = Int(index)
            return count + (target.inProgramArea(x: i % target.fabricWidth, y: i / target.fabricWidth) ? 1 : 0)
        }
    }

    static func contains(_ sorted: [Int32], _ value: Int32) -> Bool {
        var low = 0, high = sorted.count
        while low < high {
            let mid = (low + high) / 2
            if sorted[mid] < value { low = mid + 1 } else { high = mid }
        }
        return low < sorted.count && sorted[low] == value
    }

    /// The link id of the link leaving (x, y) in `direction`, or nil when it leaves the fabric.
    public static func linkID(x: Int, y: Int, _ direction: Direction, width: Int, height: Int) -> Int32? {
        switch direction {
        case .east: return x + 1 < width ? Int32(2 * (y * width + x)) : nil
        case .south: return y + 1 < height ? Int32(2 * (y * width + x) + 1) : nil
        case .west: return x > 0 ? Int32(2 * (y * width + x - 1)) : nil
        case .north: return y > 0 ? Int32(2 * ((y - 1) * width + x) + 1) : nil
        }
    }
}

/// Dead PEs and links for each wafer of a system.
public struct DefectMap: Sendable, Hashable {
    /// The target the map was made for (its name and fabric size must match the compile's).
    public var targetName: String
    public var fabricWidth: Int
    public var fabricHeight: Int
    /// Wafers in the system; `wafers.count == waferCount`, defect-free wafers have empty lists.
    public var wafers: [WaferDefects]
    /// Whether the coordinates are physical (a version 2 map, on the fabric with its spare rows).
    public var physical: Bool
    /// Per wafer, what the hardware's spare rows made of the physical map this one was repaired
    /// from (`repaired(for:)`); nil for a map given in logical coordinates.
    public var repairs: [RepairSummary]?

    public init(targetName: String, fabricWidth: Int, fabricHeight: Int, wafers: [WaferDefects], physical: Bool = false,
                repairs: [RepairSummary]? = nil) {
        self.targetName = targetName
        self.fabricWidth = fabricWidth
        self.fabricHeight = fabricHeight
        self.wafers = wafers
        self.physical = physical
        self.repairs = repairs
    }

    /// The logical map the passes see: a physical map repaired by `target`'s spare rows
    /// (`SpareRowRepair`), with the summaries in `repairs`; a logical map unchanged. O(defects).
    public func repaired(for target: Target) -> DefectMap {
        guard physical, let r = target.redundancy else { return self }
        let results = wafers.map { SpareRowRepair.repair($0, width: fabricWidth, logicalHeight: target.fabricHeight, redundancy: r) }
        return DefectMap(targetName: targetName, fabricWidth: fabricWidth, fabricHeight: target.fabricHeight,
                         wafers: results.map(\.logical), repairs: results.map(\.summary))
    }

    public var waferCount: Int { wafers.count }

    public var totalDeadPEs: Int { wafers.reduce(0) { $0 + $1.deadPEs.count } }
    public var totalDeadLinks: Int { wafers.reduce(0) { $0 + $1.deadLinks.count } }
}

/// Where a compile's defects come from: none, a file, or a generator run on demand per wafer.
public enum DefectSource: Sendable {
    /// Most dead PEs a wafer may have (expected, for generated defects) when `count`, `place` or
    /// `compile` map a model onto it: 2,000, about 0.22% of a WSE-3 wafer, twice the documented
    /// 0.1% stress rate. Sealing, placing and routing around defects costs time in proportion to
    /// them: Kimi K2 on WSE-3 wafers compiles in 21 s of CPU at rate 0.002, 52 s at 0.005 and
    /// 135 s at 0.01 (release build), so a higher count would not finish in seconds.
    /// docs/defect-format.md.
    public static let maxDeadPEsPerWafer = 2_000

    case none
    case map(DefectMap)
    case generated(DefectGenerator)

    /// The defects of wafer `index`, or nil when a map does not cover that wafer.
    public func defects(forWafer index: Int) -> WaferDefects? {
        switch self {
        case .none: return WaferDefects.none
        case let .map(map): return map.wafers.indices.contains(index) ? map.wafers[index] : nil
        case let .generated(generator): return generator.wafer(index)
        }
    }

    /// What the hardware's spare rows made of wafer `index`'s physical defects; nil when the
    /// defects are logical (no redundancy, `--repair none`, a version 1 map). O(its defects).
    public func repair(forWafer index: Int) -> RepairSummary? {
        switch self {
        case .none: return nil
        case let .map(map): return map.repairs.flatMap { $0.indices.contains(index) ? $0[index] : nil }
        case let .generated(generator): return generator.repairSummary(index)
        }
    }

    /// The most wafers the source describes, if it limits them.
    public var waferLimit: Int? {
        if case let .map(map) = self { return map.waferCount }
        return nil
    }
}

extension WaferDefects {
    /// These defects plus every live PE that defects cut off from the rest of the fabric in a
    /// pocket of at most `maxPocket` PEs (a PE whose four neighbours are all dead, say), and every
    /// dead end left by them (a live PE with at most one working link, peeled repeatedly). Such
    /// PEs hold no tile: nothing could reach them, or every route would crowd one link. Bounded breadth-first search from each live
    /// neighbour of a dead PE or dead link; O((dead PEs + dead links) x maxPocket).
    public func sealingPockets(width: Int, height: Int, maxPocket: Int = 16) -> WaferDefects {
        guard !deadPEs.isEmpty || !deadLinks.isEmpty, width > 0, height > 0 else { return self }
        // Flat maps, one byte per PE: bit 0 dead, bit 1 sealed, bit 2 east link dead, bit 3 south link dead.
        var map = [UInt8](repeating: 0, count: width * height)
        for pe in deadPEs where Int(pe) < map.count { map[Int(pe)] |= 1 }
        for id in deadLinks where Int(id) / 2 < map.count { map[Int(id) / 2] |= id % 2 == 0 ? 4 : 8 }
        @inline(__always) func usable(_ x: Int, _ y: Int) -> Bool {
            x >= 0 && y >= 0 && x < width && y < height && map[y * width + x] & 3 == 0
        }
        @inline(__always) func linkLive(_ x: Int, _ y: Int, _ nx: Int, _ ny: Int) -> Bool {
            ny == y ? map[y * width + min(x, nx)] & 4 == 0 : map[min(y, ny) * width + x] & 8 == 0
        }
        func neighbours(_ pe: Int) -> FourNeighbours {
            let x = pe % width, y = pe / width
            var result = FourNeighbours()
            if usable(x, y - 1) && linkLive(x, y, x, y - 1) { result.append(pe - width) }
            if usable(x + 1, y) && linkLive(x, y, x + 1, y) { result.append(pe + 1) }
            if usable(x, y + 1) && linkLive(x, y, x, y + 1) { result.append(pe + width) }
            if usable(x - 1, y) && linkLive(x, y, x - 1, y) { result.append(pe - 1) }
            return result
        }
        var sealedList: [Int32] = []
        func seal(_ pe: Int) { if map[pe] & 2 == 0 { map[pe] |= 2; sealedList.append(Int32(pe)) } }
        var seeds: [Int] = []
        for pe in deadPEs.map(Int.init) where pe < map.count {
            let x = pe % width, y = pe / width
            for (nx, ny) in [(x, y - 1), (x + 1, y), (x, y + 1), (x - 1, y)] where usable(nx, ny) { seeds.append(ny * width + nx) }
        }
        for id in deadLinks.map(Int.init) where id / 2 < map.count {
            let pe = id / 2, x = pe % width, y = pe / width
            seeds.append(pe)
            let other = id % 2 == 0 ? (x + 1, y) : (x, y + 1)
            if usable(other.0, other.1) { seeds.append(other.1 * width + other.0) }
        }
        seeds = Array(Set(seeds)).sorted()
        /// The region reachable from `start` without passing `neck`, if it has at most `maxPocket` PEs.
        func pocket(from start: Int, without neck: Int?) -> [Int]? {
            var seen: [Int] = [start]
            var head = 0
            while head < seen.count {
                for n in neighbours(seen[head]) where n != neck && !seen.contains(n) {
                    seen.append(n)
                    if seen.count > maxPocket { return nil }
                }
                head += 1
            }
            return seen
        }
        // Pockets: regions cut off from the fabric.
        for seed in seeds where map[seed] & 3 == 0 {
            if let region = pocket(from: seed, without: nil) { region.forEach(seal) }
        }
        // Bays: small regions reachable only through one PE (their neck); every route to them
        // would squeeze through it.
        var necks = Set(seeds)
        for pe in seeds { for n in neighbours(pe) { necks.insert(n) } }
        for neck in necks.sorted() where map[neck] & 3 == 0 {
            for n in neighbours(neck) where map[n] & 3 == 0 {
                if let bay = pocket(from: n, without: neck) { bay.forEach(seal) }
            }
        }
        // Dead ends: a PE with at most one working link, peeled repeatedly.
        var queue = seeds
        while let pe = queue.popLast() {
            guard map[pe] & 3 == 0, neighbours(pe).count <= 1 else { continue }
            seal(pe)
            let x = pe % width, y = pe / width
            for (nx, ny) in [(x, y - 1), (x + 1, y), (x, y + 1), (x - 1, y)] where usable(nx, ny) { queue.append(ny * width + nx) }
        }
        guard !sealedList.isEmpty else { return self }
        return WaferDefects(deadPEs: deadPEs + sealedList, deadLinks: deadLinks)
    }
}

/// Up to four neighbouring PE ids in north, east, south, west order, without a heap
/// allocation (`sealingPockets` asks for them hundreds of thousands of times a wafer).
struct FourNeighbours: Sequence, IteratorProtocol {
    private var items: (Int, Int, Int, Int) = (0, 0, 0, 0)
    private(set) var count = 0
    private var position = 0

    mutating func append(_ pe: Int) {
        switch count {
        case 0: items.0 = pe
        case 1: items.1 = pe
        case 2: items.2 = pe
        default: items.3 = pe
        }
        count += 1
    }

    mutating func next() -> Int? {
        guard position < count else { return nil }
        defer { position += 1 }
        switch position {
        case 0: return items.0
        case 1: return items.1
        case 2: return items.2
        default: return items.3
        }
    }
}
