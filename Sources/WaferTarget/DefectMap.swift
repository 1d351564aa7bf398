import WaferSupport

/// A direction out of a PE on the mesh.
public enum Direction: String, Sendable, Hashable, CaseIterable {
    case north = "N", east = "E", south = "S", west = "W"
}

/// The dead PEs and dead links of one wafer, stored compactly: sorted row-major PE indices
/// (`y * width + x`) and sorted link ids. Never one object per PE; lookups are binary searches.
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

    public init(targetName: String, fabricWidth: Int, fabricHeight: Int, wafers: [WaferDefects]) {
        self.targetName = targetName
        self.fabricWidth = fabricWidth
        self.fabricHeight = fabricHeight
        self.wafers = wafers
    }

    public var waferCount: Int { wafers.count }

    public var totalDeadPEs: Int { wafers.reduce(0) { $0 + $1.deadPEs.count } }
    public var totalDeadLinks: Int { wafers.reduce(0) { $0 + $1.deadLinks.count } }
}

/// Where a compile's defects come from: none, a file, or a generator run on demand per wafer.
public enum DefectSource: Sendable {
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

    /// The most wafers the source describes, if it limits them.
    public var waferLimit: Int? {
        if case let .map(map) = self { return map.waferCount }
        return nil
    }
}
