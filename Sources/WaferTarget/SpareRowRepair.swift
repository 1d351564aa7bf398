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

    public init(physicalDeadPEs: Int = 0, physicalDeadLinks: Int = 0, absorbed: Int = 0, holes: Int = 0,
                bypassHopsRows: Int = 0, bypassHopsColumns: Int = 0) {
        self.physicalDeadPEs = physicalDeadPEs; self.physicalDeadLinks = physicalDeadLinks; self.absorbed = absorbed
        self.holes = holes; self.bypassHopsRows = bypassHopsRows; self.bypassHopsColumns = bypassHopsColumns
    }

    public static let none = RepairSummary()
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
///   `bypassHops x (|s_x - s_{x+1}| - 1)` where the shifts differ by more than 1. Since
///   `|s_x - s_{x+1}| <= max(min(d_x, spare), min(d_{x+1}, spare))` whatever the live row (a
///   live logical row is shifted by at most the spares), the figure is `bypassHops x (max over
///   blocks of sum over boundaries of max(0, that - 1) + max over physical rows of dead east
///   links)` (a dead east link is stepped over like a PE).
///   The exact per-row value can fall when a defect is added (it evens two shifts out); this
///   bound cannot.
/// Dead links are absorbed by the redundant links (they never reach the logical fabric) and
/// counted in the bypass figures only.
///
/// O(dead PEs + dead links) time and memory; never one object per PE.
public enum SpareRowRepair {
    /// Repairs `physical` (ids on a `width x redundancy.physicalHeight(logicalHeight)` fabric).
    public static func repair(_ physical: WaferDefects, width: Int, logicalHeight: Int, redundancy r: Redundancy) -> (logical: WaferDefects, summary: RepairSummary) {
        let blockPhysical = r.blockRows + r.spareRowsPerBlock
        let blocks = r.blocks(logicalHeight: logicalHeight)
        // (block, column) -> dead PEs in that block column; column -> dead PEs and south links.
        var perBlockColumn: [Int: Int] = [:]
        var perColumn: [Int: Int] = [:]
        var eastPerRow: [Int: Int] = [:]
        for id in physical.deadPEs {
            let x = Int(id) % width, y = Int(id) / width
            let b = min(y / max(blockPhysical, 1), blocks - 1)
            perBlockColumn[b * width + x, default: 0] += 1
            perColumn[x, default: 0] += 1
        }
        for id in physical.deadLinks {
            let pe = Int(id) / 2, x = pe % width, y = pe / width
            if id % 2 == 0 { eastPerRow[y, default: 0] += 1 } else { perColumn[x, default: 0] += 1 }
        }
        var holes: [Int32] = []
        var absorbed = 0
        // Per block: boundary (left column) -> max(0, max(d_x, d_{x+1}) - 1).
        var boundary: [Int: Int] = [:]
        for (key, d) in perBlockColumn.sorted(by: { $0.key < $1.key }) {
            let b = key / width, x = key % width
            absorbed += min(d, r.spareRowsPerBlock)
            let rows = r.logicalRows(inBlock: b, logicalHeight: logicalHeight)
            // A dead PE among the spare rows of a short last block still uses up one spare.
            let lost = min(max(0, d - r.spareRowsPerBlock), rows)
            for i in (rows - lost)..<rows { holes.append(Int32((b * r.blockRows + i) * width + x)) }
            // A live logical row's shift is at most the spares (rows beyond them are holes).
            let shift = min(d, r.spareRowsPerBlock)
            if shift >= 2 {
                for left in [x - 1, x] where left >= 0 && left + 1 < width {
                    boundary[b * width + left] = max(boundary[b * width + left] ?? 0, shift - 1)
                }
            }
        }
        var rowSum: [Int: Int] = [:]
        for (key, cost) in boundary { rowSum[key / width, default: 0] += cost }
        let rowHops = r.bypassHops * ((rowSum.values.max() ?? 0) + (eastPerRow.values.max() ?? 0))
        let columnHops = r.bypassHops * (perColumn.values.max() ?? 0)
        let summary = RepairSummary(physicalDeadPEs: physical.deadPEs.count, physicalDeadLinks: physical.deadLinks.count,
                                    absorbed: absorbed, holes: physical.deadPEs.count - absorbed,
                                    bypassHopsRows: rowHops, bypassHopsColumns: columnHops)
        return (WaferDefects(deadPEs: holes, deadLinks: []), summary)
    }
}
