import WaferSupport
import WaferYAML

/// The hardware redundancy of a wafer (target key `redundancy:`, docs/redundancy.md): spare
/// rows per block of logical rows, and what stepping over a dead PE costs a line.
///
/// Model (docs/redundancy.md): the physical fabric is cut into blocks of `blockRows` logical
/// rows (the last block may be shorter), each with `spareRowsPerBlock` extra physical rows. In
/// each column of a block, logical row `i` is the `i`-th live physical PE from the top, so a
/// column of a block absorbs up to `spareRowsPerBlock` dead PEs; redundant links step over a
/// dead PE at `bypassHops` extra hops. Sources: Cerebras, "100x defect tolerance" (2025-01-13:
/// ~970K physical cores for ~900K active, "redundant links route around a dead core"); the
/// spare-row, +-1-row-shift layout follows a third-party yield analysis
/// (blackyabhishek.github.io/analysis/cerebras_yield_analysis.html). The block height and
/// spare count are chosen to match the published core counts: an assumption, not a datasheet.
public struct Redundancy: Sendable, Hashable {
    /// Logical rows per redundancy block (the last block may be shorter).
    public var blockRows: Int
    /// Physical spare rows per block: each column of a block absorbs up to this many dead PEs.
    public var spareRowsPerBlock: Int
    /// Extra hops a line pays per dead PE (or dead link) the hardware steps over.
    public var bypassHops: Int

    public init(blockRows: Int, spareRowsPerBlock: Int, bypassHops: Int = 1) {
        self.blockRows = blockRows; self.spareRowsPerBlock = spareRowsPerBlock; self.bypassHops = bypassHops
    }

    /// Bounds: a block of 1 .. 4,096 rows, 0 .. 4,096 spare rows, 0 .. 1,024 bypass hops; and
    /// the physical height at most `TargetLimits.maxFabricSide`, so physical PE ids stay below 2^31.
    public static let maxBlockRows = 4096, maxSpareRows = 4096, maxBypassHops = 1024

    /// Blocks a fabric of `logicalHeight` rows has. O(1).
    public func blocks(logicalHeight: Int) -> Int { (logicalHeight + max(blockRows, 1) - 1) / max(blockRows, 1) }

    /// Physical rows: the logical rows plus the spares of every block. O(1).
    public func physicalHeight(logicalHeight: Int) -> Int { logicalHeight + blocks(logicalHeight: logicalHeight) * spareRowsPerBlock }

    /// Logical rows in block `b` (the last one may be shorter). O(1).
    public func logicalRows(inBlock b: Int, logicalHeight: Int) -> Int { max(0, min(blockRows, logicalHeight - b * blockRows)) }

    /// The `redundancy:` section's YAML (as a target file writes it). O(1).
    public var yaml: String {
        "redundancy: {block_rows: \(blockRows), spare_rows_per_block: \(spareRowsPerBlock), bypass_hops: \(bypassHops)}"
    }

    /// Reads a `redundancy:` mapping; `height` is the logical fabric height. Located errors. O(1).
    static func decode(_ node: YAMLNode, height: Int) throws(DiagnosticError) -> Redundancy {
        var map = try MappingReader(node, context: "'redundancy'")
        let block = try map.required("block_rows").integer("'redundancy.block_rows'", in: 1...maxBlockRows)
        let spareNode = try map.required("spare_rows_per_block")
        let spare = try spareNode.integer("'redundancy.spare_rows_per_block'", in: 0...maxSpareRows)
        let bypass = try map.optional("bypass_hops")?.integer("'redundancy.bypass_hops'", in: 0...maxBypassHops) ?? 1
        try map.finish()
        let r = Redundancy(blockRows: block, spareRowsPerBlock: spare, bypassHops: bypass)
        guard r.physicalHeight(logicalHeight: height) <= TargetLimits.maxFabricSide else {
            throw .error(TargetFailure.outOfRange, "the spare rows make the physical fabric \(r.physicalHeight(logicalHeight: height)) rows high; at most \(TargetLimits.maxFabricSide)", at: spareNode.location)
        }
        return r
    }
}
