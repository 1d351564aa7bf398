import WaferSupport

/// What the hardware's redundancy made of one wafer's physical defects (docs/redundancy.md).
/// Every figure only grows when defects are added (a map that contains another costs at least
/// as much): the bypass figures are upper bounds chosen for that.
public struct RepairSummary: Sendable, Hashable, Codable {
    /// Dead PEs and dead links in physical coordinates.
    public var physicalDeadPEs: Int
    public var physicalDeadLinks: Int
    /// Dead PEs the spare rows absorbed (the logical fabric does not see them).
    public var absorbed: Int
    /// Logical PEs left dead: dead PEs beyond a block column's spares (`physicalDeadPEs - absorbed`).
    public var holes: Int
    /// Upper bound on the extra hops any row line of the wafer pays to the hardware's bypasses.
    public var bypassHopsRows: Int
    /// Upper bound on the extra hops any column line of the wafer pays.
    public var bypassHopsColumns: Int
    /// The row figure by where a line runs: per redundancy block (`blockRows` logical rows) and
    /// window of `rowWindowColumns` fabric columns, the boundary costs whose left column lies in
    /// the window (block-major, `rowWindows.count = blocks x windows`), and the dead-east-link term
    /// every row line may meet (`rowLinkHops`). A line crossing columns `c0..<c1` of rows
    /// `r0..<r1` pays at most the windows' figure (fewer than the whole wafer's when it is
    /// narrower than the wafer: `RowBypassProfile.hops`). Empty without repair.
    public var rowWindows: [Int] = []
    public var rowWindowColumns = RepairSummary.windowColumns
    public var blockRows = 0
    public var rowLinkHops = 0

    public init(physicalDeadPEs: Int = 0, physicalDeadLinks: Int = 0, absorbed: Int = 0, holes: Int = 0,
                bypassHopsRows: Int = 0, bypassHopsColumns: Int = 0) {
        self.physicalDeadPEs = physicalDeadPEs; self.physicalDeadLinks = physicalDeadLinks; self.absorbed = absorbed
        self.holes = holes; self.bypassHopsRows = bypassHopsRows; self.bypassHopsColumns = bypassHopsColumns
    }

    public static let none = RepairSummary()

    /// Fabric columns per window of the row figure (`rowWindows`).
    public static let windowColumns = 64

    /// Windows per block: set with the fabric width at repair time.
    public var rowWindowsPerBlock = 0
}

/// The spare-row repair the hardware does (`Redundancy`): physical defects -> logical holes
/// (defects beyond the spare budget) and a `RepairSummary`.
///
/// In each column `x` of block `b`, logical row `i` of the block is the `i`-th live physical PE
/// of that column in the block, top to bottom. With `d` dead PEs and `d <= spare`, every logical
/// PE of the block column exists; with `d > spare`, the bottom `d - spare` logical rows of the
/// block column are holes.
///
/// Bypass cost (upper bounds, monotone in the defects):
/// - a column line pays `bypassHops` per dead PE it steps over and per dead south link along it:
///   the figure is `bypassHops x max over columns of (dead PEs + dead south links)` in the
///   whole physical column;
/// - a row line is shifted by `s_x` rows in column `x` (the dead PEs above it in the block
///   column); redundant diagonal links reach +-1 row, so at each column boundary it pays
///   `bypassHops x (|s_x - s_{x+1}| - 1)` where the shifts differ by more than 1. The figure is
///   `bypassHops x (max over blocks of the sum over boundaries of max(0, D - 1) + max over
///   physical rows of dead east links)`, where D is the largest difference of the two columns'
///   dead-PE counts above any row of the block (both capped at the spares): exact per boundary,
///   so the sum bounds every row line of the block. A defect added beside another can even two
///   shifts out and lower D by one, so the figure is monotone only in aggregate (clusters add
///   boundaries far faster than they even them out; `defects cost` reports whether its speeds
///   fell monotonically). (An earlier bound, `max(d_x, d_{x+1}) - 1` per boundary, was monotone
///   but charged every boundary inside a cluster as if it were its edge: 148 hops on Llama 3.1
///   70B's worst row at 0.1% clustered instead of the exact profile's.)
/// Dead links are absorbed by the redundant links (they never reach the logical fabric) and
/// counted in the bypass figures only.
///
/// O(dead PEs + dead links) time and memory; never one object per PE.
public enum SpareRowRepair {
    /// Repairs `physical` (ids on a `width x redundancy.physicalHeight(logicalHeight)` fabric).
    public static func repair(_ physical: WaferDefects, width: Int, logicalHeight: Int, redundancy r: Redundancy) -> (logical: WaferDefects, summary: RepairSummary) {
        let blockPhysical = r.blockRows + r.spareRowsPerBlock
        let blocks = r.blocks(logicalHeight: logicalHeight)
        // (block, column) -> dead physical rows in that block column; column -> dead PEs and south links.
        var perBlockColumn: [Int: [Int]] = [:]
        var perColumn: [Int: Int] = [:]
        var eastPerRow: [Int: Int] = [:]
        for id in physical.deadPEs {
            let x = Int(id) % width, y = Int(id) / width
            let b = min(y / max(blockPhysical, 1), blocks - 1)
            perBlockColumn[b * width + x, default: []].append(y)
            perColumn[x, default: 0] += 1
        }
        for id in physical.deadLinks {
            let pe = Int(id) / 2, x = pe % width, y = pe / width
            if id % 2 == 0 { eastPerRow[y, default: 0] += 1 } else { perColumn[x, default: 0] += 1 }
        }
        var holes: [Int32] = []
        var absorbed = 0
        // Per block: boundary (left column) -> max(0, D - 1), D the largest shift difference.
        var boundary: [Int: Int] = [:]
        for (key, rowsDead) in perBlockColumn.sorted(by: { $0.key < $1.key }) {
            let b = key / width, x = key % width, d = rowsDead.count
            absorbed += min(d, r.spareRowsPerBlock)
            let rows = r.logicalRows(inBlock: b, logicalHeight: logicalHeight)
            // A dead PE among the spare rows of a short last block still uses up one spare.
            let lost = min(max(0, d - r.spareRowsPerBlock), rows)
            for i in (rows - lost)..<rows { holes.append(Int32((b * r.blockRows + i) * width + x)) }
            // Each boundary once, from its left column (or from the right one when the left has none).
            for left in [x - 1, x] where left >= 0 && left + 1 < width && boundary[b * width + left] == nil {
                let cost = max(0, Self.largestShiftDifference(perBlockColumn[b * width + left] ?? [], perBlockColumn[b * width + left + 1] ?? [],
                                                              cap: r.spareRowsPerBlock) - 1)
                boundary[b * width + left] = cost
            }
        }
        // Per block and window the boundaries' costs; a block's row figure is its windows' sum.
        let windowColumns = RepairSummary.windowColumns, windows = Checked.ceilDiv(width, windowColumns)
        var rowWindows = [Int](repeating: 0, count: blocks * windows)
        for (key, cost) in boundary where cost > 0 {
            rowWindows[(key / width) * windows + (key % width) / windowColumns] += r.bypassHops * cost
        }
        let worstBlock = (0..<blocks).map { b in rowWindows[(b * windows)..<((b + 1) * windows)].reduce(0, +) }.max() ?? 0
        let linkHops = r.bypassHops * (eastPerRow.values.max() ?? 0)
        let columnHops = r.bypassHops * (perColumn.values.max() ?? 0)
        var summary = RepairSummary(physicalDeadPEs: physical.deadPEs.count, physicalDeadLinks: physical.deadLinks.count,
                                    absorbed: absorbed, holes: physical.deadPEs.count - absorbed,
                                    bypassHopsRows: worstBlock + linkHops, bypassHopsColumns: columnHops)
        (summary.rowWindows, summary.blockRows, summary.rowLinkHops, summary.rowWindowsPerBlock) = (rowWindows, r.blockRows, linkHops, windows)
        return (WaferDefects(deadPEs: holes, deadLinks: []), summary)
    }

    /// The largest difference, over the rows of a block, between two neighbouring columns'
    /// counts of dead PEs above the row, each capped at `cap` (a live logical row shifts by at
    /// most the spares). O(dead PEs of the two columns x log).
    static func largestShiftDifference(_ a: [Int], _ b: [Int], cap: Int) -> Int {
        guard a.count + b.count >= 2 else { return a.count + b.count }
        var events = a.map { ($0, 0) } + b.map { ($0, 1) }
        events.sort { $0 < $1 }
        var countA = 0, countB = 0, largest = 0, i = 0
        while i < events.count {
            let row = events[i].0
            while i < events.count && events[i].0 == row {
                if events[i].1 == 0 { countA += 1 } else { countB += 1 }
                i += 1
            }
            largest = max(largest, abs(min(countA, cap) - min(countB, cap)))
        }
        return largest
    }
}
