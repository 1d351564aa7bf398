import Foundation
import Testing
@testable import WaferReport
import WaferPlan
import WaferTestSupport

/// What the wafer picture computes before it draws (docs/cli.md, "Pictures"): the holding
/// regions of a slot against a per-PE oracle, the link-load map against the route pass's own
/// count of the busiest link (`max_link_load_wavelets`) and the colors per PE against the
/// plan's `max_colors_per_pe`, on plans with defects, detours and hand-off bundles.
@Suite struct WaferPictureRegionTests {
    static func unit(_ name: String, experts: [Int] = [0, 0], cells: PlanCells? = nil, band: PlanDenseRegion? = nil, dense: Int, expert: Int = 0, kv: Int = 0) -> PlanUnit {
        PlanUnit(name: name, wafer: 0, group: 0, slot: 0, experts: experts, cells: cells, denseBytesPerPe: dense, expertBytesPerPe: expert,
                 kvBytesPerPe: kv, modeledCycles: 1, ops: [], tensors: [], denseRegion: band)
    }

    /// Three stacked units on a 100 x 60 slot: a MoE layer with a bottom band and 11 experts in
    /// 20 x 15 cells (two full cell rows and 3 cells of a third), a slice of 5 experts in 2 per
    /// cell of 30 x 20 (3 cells), and a dense layer on the whole slot.
    static let stacked: [PlanUnit] = [
        unit("layer 4", experts: [0, 11], cells: PlanCells(columns: 4, rows: 3, cellWidth: 20, cellHeight: 15, expertsPerCell: 1),
             band: PlanDenseRegion(width: 100, height: 10, row0: 50), dense: 300, expert: 1_000, kv: 20),
        unit("layer 5 experts 3..7", experts: [3, 8], cells: PlanCells(columns: 3, rows: 2, cellWidth: 30, cellHeight: 20, expertsPerCell: 2),
             dense: 0, expert: 700),
        unit("layer 6", dense: 5_000, kv: 64),
    ]

    @Test func holdingRegionsAgreeWithEveryPE() throws {
        let width = 100, height = 60
        let parts = WaferPictures.parts(Self.stacked, width: width, height: height)
        #expect(parts.map(\.unit) == [0, 0, 1, 2] && parts.map(\.experts) == [false, true, true, false])
        let cut = try #require(WaferPictures.holdingRegions(parts, width: width, height: height))
        let regions = cut.regions

        // The oracle: each PE's parts from the unit definitions directly.
        func oracle(_ x: Int, _ y: Int) -> [Int] {
            var set: [Int] = []
            if y >= 50 && y < 60 { set.append(0) }                                              // layer 4's band
            let c4 = (y / 15) * 4 + x / 20
            if x < 80 && y < 45 && c4 < 11 { set.append(1) }                                    // layer 4's 11 cells
            let c5 = (y / 20) * 3 + x / 30
            if x < 90 && y < 40 && c5 < 3 { set.append(2) }                                     // ceil(5 / 2) = 3 cells
            set.append(3)                                                                        // layer 6, whole slot
            return set
        }
        var seen = [Int](repeating: 0, count: width * height)
        for r in regions {
            #expect(r.bytesPerPe == r.parts.reduce(0) { $0 + parts[$1].bytesPerPe })
            for q in r.rects {
                for y in q.y0..<q.y1 {
                    for x in q.x0..<q.x1 {
                        seen[y * width + x] += 1
                        #expect(oracle(x, y) == r.parts, "PE (\(x), \(y)): region \(r.parts), oracle \(oracle(x, y))")
                    }
                }
            }
        }
        #expect(seen.allSatisfy { $0 == 1 }, "every PE in exactly one region")
        // The boundaries: exactly the edges between PEs the oracle puts in different regions.
        var vertical = Set<[Int]>(), horizontal = Set<[Int]>()
        for b in cut.boundaries {
            if b.x0 == b.x1 { for y in b.y0..<b.y1 { vertical.insert([b.x0, y]) } } else { for x in b.x0..<b.x1 { horizontal.insert([x, b.y0]) } }
        }
        for y in 0..<height { for x in 1..<width { #expect(vertical.contains([x, y]) == (oracle(x - 1, y) != oracle(x, y)), "edge left of (\(x), \(y))") } }
        for y in 1..<height { for x in 0..<width { #expect(horizontal.contains([x, y]) == (oracle(x, y - 1) != oracle(x, y)), "edge above (\(x), \(y))") } }
        // One region per distinct set, and the labels say what the sets hold.
        #expect(Set(regions.map(\.parts)).count == regions.count)
        let labels = regions.map { WaferPictures.holdingLabel($0, parts: parts, units: Self.stacked) }
        #expect(labels.contains("layer 6 + layer 4 experts 0..10 + layer 5 experts 3..7"))
        #expect(labels.contains("layers 4, 6"))  // a gap is never drawn over
        #expect(labels.contains("layer 6 + layer 5 experts 3..7"))
        #expect(labels.contains("layer 6 + layer 4 experts 0..10"))
        #expect(labels.contains("layer 6"))
        // The band region is drawn in layer 6's colour: its 5,064 bytes per PE outweigh layer 4's 320.
        let band = try #require(regions.first { $0.parts == [0, 3] })
        #expect(WaferPictures.holdingColor(band, parts: parts, units: Self.stacked) == WaferPictures.Kind.dense.safeColor)
        #expect(WaferPictures.densest(band, parts: parts) == 3)
    }

    @Test func markColoursAreNeverAKindsColour() {
        let marks = [WaferPictures.deadColor, WaferPictures.sealedColor, WaferPictures.overlayColor, WaferPictures.detourColor,
                     WaferPictures.spareColor, WaferPictures.haloColor, WaferPictures.unusedColor].map { $0.lowercased() }
        let kinds = WaferPictures.Kind.allCases.map { $0.safeColor.lowercased() }
        #expect(Set(marks).count == marks.count && Set(kinds).count == kinds.count)
        #expect(Set(marks).isDisjoint(with: kinds), "\(marks) against \(kinds)")
    }

    @Test func aSlotTooStackedToCutIsDrawnWhole() {
        // 2,000 units each with its own band: 51 x 61 compressed cells times 2,000 parts, past the bound.
        let many = (0..<2_000).map { Self.unit("layer \($0)", band: PlanDenseRegion(width: 100 - $0 % 50, height: 1, row0: $0 % 59), dense: 1) }
        let parts = WaferPictures.parts(many, width: 100, height: 60)
        #expect(parts.count == 2_000)
        let regions = WaferPictures.holdingRegions(parts, width: 100, height: 60)
        #expect(regions == nil, "cut into \(regions?.regions.count ?? 0) regions")
    }

    @Test func spareRowBypassWindowsAreOutlinedWithTheirHops() {
        var w = PlanWafer(index: 0, gridColumns: 1, gridRows: 1, slotWidth: 100, slotHeight: 100, spareColumns: 0, originX: 0, originY: 0,
                          groupSlots: [0], groupBytesPerPe: [1], deadPes: [], sealedPes: [], deadLinks: [], paletteColors: 0, maxColorsPerPe: 0,
                          maxLinkLoadWavelets: 0, overlayPes: [], overlayColors: [], unresolvedPes: [])
        #expect(WaferPictures.bypassWindows(w, width: 100, height: 100, scale: 1).isEmpty)
        var r = PlanRedundancy(physicalDeadPes: 9, absorbed: 9, holes: 0, bypassHopsRows: 5, bypassHopsColumns: 1)
        // Two blocks of 60 rows, three windows of 40 columns each (the last cut to the fabric).
        r.rowWindows = [0, 2, 0, 1, 0, 3]; r.rowWindowColumns = 40; r.rowWindowsPerBlock = 3; r.blockRows = 60
        w.redundancy = r
        let svg = WaferPictures.bypassWindows(w, width: 100, height: 100, scale: 1)
        let rects = svg.matches(of: #/<rect x="(\d+)" y="(\d+)" width="(\d+)" height="(\d+)"><title>[^<]*add (\d+) hops?/#).map {
            [Int($0.output.1)!, Int($0.output.2)!, Int($0.output.3)!, Int($0.output.4)!, Int($0.output.5)!]
        }
        #expect(rects == [[40, 0, 40, 60, 2], [0, 60, 40, 40, 1], [80, 60, 20, 40, 3]])
    }

    @Test func linkLoadPeaksAtThePlansBusiestLink() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("wafermap-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let path = directory.appendingPathComponent("p.plan.json").path
        // Defects without repair: detour routes (exceptions) on top of line classes and bundles.
        let out = try CLI.run(["compile", "examples/models/tiny.yaml", "--target", "small32", "--wafers", "3", "--defect-rate", "0.02", "--clustered",
                               "--repair", "none", "--seed", "3", "-o", path])
        #expect(out.status == 0, "\(out.stderr)")
        let plan = try PlanIO.read(path: path)
        #expect(plan.routing.exceptions.count > 0 && !plan.routing.bundles.isEmpty)
        for w in plan.wafers {
            let map = WaferPictures.linkLoad(plan, w)
            #expect(map.maxWavelets == w.maxLinkLoadWavelets, "wafer \(w.index): picture \(map.maxWavelets), route pass \(w.maxLinkLoadWavelets)")
            #expect(map.pesAtMax > 0 && map.values.max().map(Int.init) == map.maxWavelets)
            #expect(map.block == 1 && map.columns == plan.target.fabricWidth && map.rows == plan.target.fabricHeight)
            // Colors per PE, marked as the executor's route replay marks them: the same most.
            let colors = WaferPictures.colorUse(plan, w)
            #expect(colors.maxColors == w.maxColorsPerPe, "wafer \(w.index): picture \(colors.maxColors), plan \(w.maxColorsPerPe)")
            #expect(colors.budget == plan.routing.colorBudget && colors.maxColors <= colors.budget)
            #expect(colors.values.max().map(Int.init) == colors.maxColors)
        }
        // WSE-3's blocks: 8 x 8 PEs, 96 x 147 of them.
        #expect(WaferPictures.loadBlock(width: 762, height: 1172) == 8)
    }
}
