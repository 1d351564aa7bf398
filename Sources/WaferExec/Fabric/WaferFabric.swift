import WaferPlan

/// One simulated wafer, re-derived from the plan alone: which PEs and links are alive, where
/// the program area is, and the plan's tiling rule (slot rectangles, spare columns, the home
/// and substitute PE of every tile). Flat arrays, never an object per PE: a WSE-3 wafer is
/// 893,064 bytes of state (PE and link bits in one byte) plus its dead lists.
public struct WaferFabric: Sendable {
    public let index: Int
    public let width: Int
    public let height: Int
    /// Bits 0-1: 0 live, 1 dead (defect map or injected fault), 2 sealed (live but cut off; the
    /// compiler treats it as dead). Dead links: bit 2 the link east of the PE, bit 3 the link
    /// south of it (one byte per PE for both, so a hop's check is one load, not a hash lookup).
    private(set) var state: [UInt8]
    /// Dead or sealed x positions per row, and y positions per column, sorted.
    private(set) var deadByRow: [Int: [Int]] = [:]
    private(set) var deadByColumn: [Int: [Int]] = [:]
    /// Rows and columns with a dead link east / south of a PE on them, and per row (column) the
    /// x (y) of the PEs whose east (south) link is dead, sorted.
    private(set) var linkRows: Set<Int> = []
    private(set) var linkColumns: Set<Int> = []
    private(set) var eastLinksByRow: [Int: [Int]] = [:]
    private(set) var southLinksByColumn: [Int: [Int]] = [:]
    public let program: (x: Range<Int>, y: Range<Int>)
    public let wafer: PlanWafer
    /// Logical column -> offset in the slot, and offset -> logical column (nil for a spare).
    public let homeOffsets: [Int]
    public let logicalOfOffset: [Int?]
    public var pitch: Int { wafer.slotWidth + wafer.spareColumns }

    /// O(fabric + dead PEs + dead links). `faults` are extra dead PEs (fault injection).
    public init(plan: Plan, wafer w: PlanWafer, faults: [Int32] = []) {
        let t = plan.target
        index = w.index; wafer = w
        width = max(t.fabricWidth, 1); height = max(t.fabricHeight, 1)
        program = (t.haloWest..<max(t.haloWest, t.fabricWidth - t.haloEast), t.haloNorth..<max(t.haloNorth, t.fabricHeight - t.haloSouth))
        state = [UInt8](repeating: 0, count: width * height)
        let pitch = max(w.slotWidth + w.spareColumns, 1)
        let offsets = w.homeOffsets
        var inverse = [Int?](repeating: nil, count: pitch)
        for (c, o) in offsets.enumerated() where o < pitch { inverse[o] = c }
        homeOffsets = offsets; logicalOfOffset = inverse
        for pe in w.deadPes where pe >= 0 && Int(pe) < state.count { state[Int(pe)] = 1 }
        for pe in w.sealedPes where pe >= 0 && Int(pe) < state.count && state[Int(pe)] == 0 { state[Int(pe)] = 2 }
        for pe in faults where pe >= 0 && Int(pe) < state.count { state[Int(pe)] = 1 }
        for pe in w.deadPes + w.sealedPes + faults where pe >= 0 && Int(pe) < state.count {
            deadByRow[Int(pe) / width, default: []].append(Int(pe) % width)
            deadByColumn[Int(pe) % width, default: []].append(Int(pe) / width)
        }
        for key in deadByRow.keys { deadByRow[key] = Array(Set(deadByRow[key] ?? [])).sorted() }
        for key in deadByColumn.keys { deadByColumn[key] = Array(Set(deadByColumn[key] ?? [])).sorted() }
        for link in w.deadLinks where link >= 0 && Int(link) / 2 < state.count {
            let pe = Int(link) / 2
            state[pe] |= link % 2 == 0 ? 4 : 8
            if link % 2 == 0 { linkRows.insert(pe / width); eastLinksByRow[pe / width, default: []].append(pe % width) }
            else { linkColumns.insert(pe % width); southLinksByColumn[pe % width, default: []].append(pe / width) }
        }
        for key in eastLinksByRow.keys { eastLinksByRow[key]?.sort() }
        for key in southLinksByColumn.keys { southLinksByColumn[key]?.sort() }
    }

    public func onFabric(_ x: Int, _ y: Int) -> Bool { x >= 0 && y >= 0 && x < width && y < height }
    public func inProgram(_ x: Int, _ y: Int) -> Bool { program.x.contains(x) && program.y.contains(y) }
    public func isLive(_ x: Int, _ y: Int) -> Bool { onFabric(x, y) && state[y * width + x] & 3 == 0 }
    public func isLive(pe: Int) -> Bool { pe >= 0 && pe < state.count && state[pe] & 3 == 0 }
    /// Whether the PE is dead in the defect map or by a fault (not merely sealed).
    public func isDead(pe: Int) -> Bool { pe >= 0 && pe < state.count && state[pe] & 3 == 1 }

    /// Whether the mesh link between neighbours (ax, ay) and (bx, by) is alive. O(1).
    public func linkLive(_ ax: Int, _ ay: Int, _ bx: Int, _ by: Int) -> Bool {
        guard abs(ax - bx) + abs(ay - by) == 1, onFabric(ax, ay), onFabric(bx, by) else { return false }
        return ay == by ? state[ay * width + min(ax, bx)] & 4 == 0 : state[min(ay, by) * width + ax] & 8 == 0
    }

    /// Whether the straight run from (ax, ay) to (bx, by) (same row or column) has live PEs and
    /// links throughout. O(length).
    public func straightLive(_ ax: Int, _ ay: Int, _ bx: Int, _ by: Int) -> Bool {
        guard ax == bx || ay == by else { return false }
        var x = ax, y = ay
        guard isLive(x, y) else { return false }
        while x != bx || y != by {
            let nx = x + (bx > x ? 1 : bx < x ? -1 : 0), ny = y + (by > y ? 1 : by < y ? -1 : 0)
            guard isLive(nx, ny), linkLive(x, y, nx, ny) else { return false }
            x = nx; y = ny
        }
        return true
    }

    /// Slot `s`'s top-left PE.
    public func slotOrigin(_ s: Int) -> (x: Int, y: Int) {
        let columns = max(wafer.gridColumns, 1)
        return (wafer.originX + (s % columns) * pitch, wafer.originY + (s / columns) * wafer.slotHeight)
    }

    public func isSpare(offset: Int) -> Bool { offset >= 0 && offset < logicalOfOffset.count && logicalOfOffset[offset] == nil }

    /// Home fabric column -> substitute fabric column for the dead home PEs of row `y` of slot
    /// `s`: dead home PEs taken left to right, each to the nearest free live spare of the row,
    /// ties to the left (docs/plan-format.md). Nil values: no spare left. O(row width).
    public func substitutes(slot s: Int, row y: Int) -> [Int: Int?] {
        let origin = slotOrigin(s)
        let dead = (deadByRow[y] ?? []).filter { $0 >= origin.x && $0 < origin.x + pitch }
        guard !dead.isEmpty else { return [:] }
        var free = (0..<pitch).filter { isSpare(offset: $0) }.map { origin.x + $0 }.filter { isLive($0, y) }
        var result: [Int: Int?] = [:]
        for x in dead where !isSpare(offset: x - origin.x) {
            guard let best = free.indices.min(by: { (abs(free[$0] - x), free[$0]) < (abs(free[$1] - x), free[$1]) }) else {
                result[x] = .some(nil); continue
            }
            result[x] = free[best]
            free.remove(at: best)
        }
        return result
    }

    /// The PE holding logical (column, row) of slot `s`: its home, or its substitute when the
    /// home is dead or sealed; nil when no spare is left. `subs` caches `substitutes` per row.
    public func holder(slot s: Int, column: Int, row: Int, subs: inout [Int: [Int: Int?]]) -> (x: Int, y: Int)? {
        guard column >= 0, column < homeOffsets.count else { return nil }
        let origin = slotOrigin(s)
        let x = origin.x + homeOffsets[column], y = origin.y + row
        if isLive(x, y) { return (x, y) }
        let key = s * height + y
        if subs[key] == nil { subs[key] = substitutes(slot: s, row: y) }
        guard let entry = subs[key]?[x], let spare = entry else { return nil }
        return (spare, y)
    }

    /// Whether a sorted list holds a value in `lo...hi`. O(log n).
    static func holds(_ list: [Int]?, _ lo: Int, _ hi: Int) -> Bool {
        guard let list, lo <= hi else { return false }
        var a = 0, b = list.count
        while a < b { let m = (a + b) / 2; if list[m] < lo { a = m + 1 } else { b = m } }
        return a < list.count && list[a] <= hi
    }

    /// Whether row `y` from column `x0` through `x1` has only live PEs and live links between
    /// them (no dead or sealed PE, no dead east link of `x0 ..< x1`), all on the fabric. O(log
    /// defects of the row).
    func rowSpanClean(_ y: Int, _ x0: Int, _ x1: Int) -> Bool {
        onFabric(x0, y) && onFabric(x1, y) && !Self.holds(deadByRow[y], x0, x1) && !Self.holds(eastLinksByRow[y], x0, x1 - 1)
    }

    /// Whether column `x` from row `y0` through `y1` has only live PEs and live links between
    /// them. O(log defects of the column).
    func columnSpanClean(_ x: Int, _ y0: Int, _ y1: Int) -> Bool {
        onFabric(x, y0) && onFabric(x, y1) && !Self.holds(deadByColumn[x], y0, y1) && !Self.holds(southLinksByColumn[x], y0, y1 - 1)
    }

    /// Whether any dead/sealed PE lies in row `y` between columns `xs`, or a dead east link.
    func rowTouched(_ y: Int, _ xs: ClosedRange<Int>) -> Bool {
        if linkRows.contains(y) { return true }
        return (deadByRow[y] ?? []).contains { xs.contains($0) }
    }

    /// Whether column `x` has a dead/sealed PE in rows `ys`, or a dead south link.
    func columnTouched(_ x: Int, _ ys: Range<Int>) -> Bool {
        if linkColumns.contains(x) { return true }
        return (deadByColumn[x] ?? []).contains { ys.contains($0) }
    }
}
