import Foundation
import Testing
import WaferSupport
import WaferTarget
import WaferTestSupport

/// The hardware's spare-row repair (docs/redundancy.md).
@Suite struct RedundancyTests {
    /// 8 columns, logical height 10 in blocks of 4 rows (the last 2), 2 spares each: physical 16 rows.
    let r = Redundancy(blockRows: 4, spareRowsPerBlock: 2, bypassHops: 1)
    let width = 8, height = 10

    func pe(_ x: Int, _ y: Int) -> Int32 { Int32(y * width + x) }

    @Test func physicalHeightAddsEveryBlocksSpares() throws {
        #expect(r.blocks(logicalHeight: height) == 3)
        #expect(r.physicalHeight(logicalHeight: height) == 16)
        #expect(r.logicalRows(inBlock: 2, logicalHeight: height) == 2)
        let wse3 = try BuiltinTargets.resolve("wse3")
        #expect(wse3.physicalHeight == 1270 && wse3.physicalPEs == 967_740)   // the "~970K physical cores"
        #expect(try BuiltinTargets.resolve("small64").redundancy == nil)
        #expect(try BuiltinTargets.resolve("wse2").redundancy == nil)
    }

    @Test func withinTheBudgetEveryLogicalPEExists() {
        // Column 3 of block 0 (physical rows 0..<6) loses two PEs: both absorbed.
        let (logical, s) = SpareRowRepair.repair(WaferDefects(deadPEs: [pe(3, 1), pe(3, 4)]), width: width, logicalHeight: height, redundancy: r)
        #expect(logical.deadPEs.isEmpty)
        #expect(s.physicalDeadPEs == 2 && s.absorbed == 2 && s.holes == 0)
        // The column line steps over 2 dead PEs; neighbouring shifts differ by up to 2 at two boundaries.
        #expect(s.bypassHopsColumns == 2)
        #expect(s.bypassHopsRows == 2)
    }

    @Test func beyondTheBudgetTheBottomRowsOfTheBlockColumnAreHoles() {
        // Block 1 is physical rows 6..<12 (logical 4..<8): four dead PEs in column 5, two spares.
        let dead = [pe(5, 6), pe(5, 7), pe(5, 9), pe(5, 11)]
        let (logical, s) = SpareRowRepair.repair(WaferDefects(deadPEs: dead), width: width, logicalHeight: height, redundancy: r)
        #expect(logical.deadPEs == [Int32(6 * width + 5), Int32(7 * width + 5)])   // logical rows 6 and 7, column 5
        #expect(s.absorbed == 2 && s.holes == 2)
        // The short last block (2 logical rows, physical 12..<16): three dead PEs leave one hole.
        let (last, t) = SpareRowRepair.repair(WaferDefects(deadPEs: [pe(0, 12), pe(0, 14), pe(0, 15)]), width: width, logicalHeight: height, redundancy: r)
        #expect(last.deadPEs == [Int32(9 * width)])
        #expect(t.holes == 1 && t.absorbed == 2)
    }

    @Test func deadLinksAreAbsorbedAtBypassCost() {
        let east = Int32(2 * (3 * width + 2)), south = Int32(2 * (3 * width + 2) + 1)
        let (logical, s) = SpareRowRepair.repair(WaferDefects(deadPEs: [], deadLinks: [east, south]), width: width, logicalHeight: height, redundancy: r)
        #expect(logical == .none)
        #expect(s.physicalDeadLinks == 2 && s.bypassHopsRows == 1 && s.bypassHopsColumns == 1)
    }

    /// A map that contains another costs at least as much, on seeded random nested maps.
    @Test func summariesAreMonotoneUnderAddingDefects() throws {
        let target = try BuiltinTargets.resolve(TestPaths.fixture("targets/small64r.yaml"))
        let rates = [0.0, 0.005, 0.01, 0.02, 0.05]
        for seed in UInt64(1)...12 {
            for clustered in [false, true] {
                var previous: (WaferDefects, WaferDefects, RepairSummary)?
                for rate in rates {
                    let g = DefectGenerator(target: target, rate: rate, clustering: clustered ? .init() : nil, seed: seed, physical: true, nestedMaxRate: 0.05)
                    let physical = g.drawn(0), logical = g.wafer(0)
                    let s = try #require(g.repairSummary(0))
                    #expect(s.absorbed + s.holes == s.physicalDeadPEs && logical.deadPEs.count == s.holes)
                    if let (p, l, q) = previous {
                        #expect(Set(p.deadPEs).isSubset(of: Set(physical.deadPEs)), "nested maps (seed \(seed), rate \(rate))")
                        #expect(Set(p.deadLinks).isSubset(of: Set(physical.deadLinks)))
                        #expect(Set(l.deadPEs).isSubset(of: Set(logical.deadPEs)), "holes only grow")
                        #expect(s.physicalDeadPEs >= q.physicalDeadPEs && s.absorbed >= q.absorbed && s.holes >= q.holes)
                        #expect(s.bypassHopsRows >= q.bypassHopsRows && s.bypassHopsColumns >= q.bypassHopsColumns)
                    }
                    previous = (physical, logical, s)
                }
            }
        }
    }

    /// Nested draws at the top rate equal the plain draw, and a nested draw is byte-identical across runs.
    @Test func nestedDrawsAreDeterministic() throws {
        let target = try BuiltinTargets.resolve("wse3")
        let plain = DefectGenerator(target: target, rate: 0.001, seed: 4, physical: true)
        let nestedTop = DefectGenerator(target: target, rate: 0.001, seed: 4, physical: true, nestedMaxRate: 0.001)
        #expect(plain.drawn(2).deadPEs == nestedTop.drawn(2).deadPEs)
        let a = DefectGenerator(target: target, rate: 0.0005, clustering: .init(), seed: 4, physical: true, nestedMaxRate: 0.02)
        #expect(a.drawn(1) == a.drawn(1))
        #expect(a.height == 1270)
        // About half the clusters of the 0.001 draw: the expected dead fraction follows the rate.
        let fraction = Double(a.drawn(1).deadPEs.count) / Double(target.physicalPEs)
        #expect(fraction > 0.0002 && fraction < 0.0009)
    }
}

/// Defect maps in physical coordinates (format version 2).
@Suite struct PhysicalDefectMapTests {
    let target: Target
    init() throws { target = try BuiltinTargets.resolve(TestPaths.fixture("targets/small64r.yaml")) }

    func decode(_ text: String) throws(DiagnosticError) -> DefectMap {
        try DefectMapIO.decode(bytes: Array(text.utf8), file: "p.yaml", target: target)
    }

    func error(_ text: String) -> Diagnostic? {
        do { _ = try decode(text); return nil } catch { return error.diagnostics.first }
    }

    static let good = """
    version: 2
    coordinates: physical
    target: small64r
    fabric: {width: 64, height: 72}
    wafers: 1
    defects:
      - wafer: 0
        dead_pes: [[5, 0], [5, 1], [5, 2], [7, 70]]
        dead_links: [[1, 1, E]]
    """

    @Test func readsAndRepairsAGoodMap() throws {
        let map = try decode(Self.good)
        #expect(map.physical && map.fabricHeight == 72 && map.wafers[0].deadPEs.count == 4)
        let logical = map.repaired(for: target)
        #expect(!logical.physical && logical.fabricHeight == 64)
        // Column 5 of block 0 lost three PEs with two spares: logical row 15 is a hole.
        #expect(logical.wafers[0].deadPEs == [Int32(15 * 64 + 5)])
        let s = try #require(logical.repairs?.first)
        #expect(s.physicalDeadPEs == 4 && s.absorbed == 3 && s.holes == 1 && s.physicalDeadLinks == 1)
        // Rendering gives version 2 back, byte for byte through a second read.
        let text = DefectMapIO.render(map)
        #expect(text.hasPrefix("version: 2\ntarget: small64r\ncoordinates: physical\n"))
        #expect(try decode(text) == map)
    }

    @Test func badMapsGetLocatedErrors() throws {
        let logicalFabric = error(Self.good.replacingOccurrences(of: "height: 72", with: "height: 64"))
        #expect(logicalFabric?.message == "the map's fabric is 64x64 PEs but small64r's physical fabric is 64x72")
        #expect(logicalFabric?.location?.line == 4 && logicalFabric?.location?.column == 9)
        let outside = error(Self.good.replacingOccurrences(of: "[7, 70]", with: "[7, 72]"))
        #expect(outside?.message == "(7, 72) is outside the 64x72 fabric")
        #expect(outside?.location?.line == 8 && outside?.location?.column == 40)
        let coordinates = error(Self.good.replacingOccurrences(of: "coordinates: physical", with: "coordinates: logical"))
        #expect(coordinates?.message.contains("'coordinates: physical'") == true)
        #expect(coordinates?.location?.line == 2 && coordinates?.location?.column == 14)
        let missing = error(Self.good.replacingOccurrences(of: "coordinates: physical\n", with: ""))
        #expect(missing?.message.contains("coordinates") == true && missing?.location?.line == 1)
        // A physical map for a target without redundancy.
        let small64 = try BuiltinTargets.resolve("small64")
        do {
            _ = try DefectMapIO.decode(bytes: Array(Self.good.replacingOccurrences(of: "small64r", with: "small64").utf8), file: "p.yaml", target: small64)
            Issue.record("accepted a physical map for a target without redundancy")
        } catch {
            #expect(error.diagnostics.first?.message.contains("needs a target with 'redundancy:'") == true)
            #expect(error.diagnostics.first?.location?.line == 2)
        }
        let version = error(Self.good.replacingOccurrences(of: "version: 2", with: "version: 3"))
        #expect(version?.message == "unsupported defect map version 3; this WaferMap reads versions 1 (logical) and 2 (physical)")
    }

    @Test func hostileRedundancyIsRefusedAtItsValue() {
        for (text, what) in [("{block_rows: 0, spare_rows_per_block: 2}", "block_rows"), ("{block_rows: 16, spare_rows_per_block: 5000}", "spare_rows_per_block"),
                             ("{block_rows: 1, spare_rows_per_block: 4000}", "physical fabric"), ("{block_rows: 16, spare_rows_per_block: 2, bypass: 1}", "unknown key")] {
            let yaml = (try? String(contentsOfFile: TestPaths.fixture("targets/small64r.yaml"), encoding: .utf8)) ?? ""
            let changed = yaml.replacingOccurrences(of: "{block_rows: 16, spare_rows_per_block: 2, bypass_hops: 1}", with: text)
            do {
                _ = try TargetDecoder.decode(bytes: Array(changed.utf8), file: "t.yaml")
                Issue.record("accepted redundancy \(text)")
            } catch {
                #expect(error.diagnostics.first?.message.contains(what) == true, "\(text): \(error.diagnostics.first?.message ?? "")")
                #expect(error.diagnostics.first?.location?.line ?? 0 > 30)
            }
        }
    }
}
