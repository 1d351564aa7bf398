import Foundation
import Testing
import WaferSupport
import WaferTarget
import WaferTestSupport

@Suite struct TargetTests {
    @Test func wse3FromThePublishedFigures() throws {
        let t = try BuiltinTargets.resolve("wse3")
        #expect(t.fabricWidth == 762 && t.fabricHeight == 1172)
        #expect(t.programWidth == 755 && t.programHeight == 1170)
        #expect(t.programPEs == 883_350)
        #expect(t.fabricPEs * t.sramBytesPerPE == 43_895_881_728)  // 893,064 PEs x 48 KiB: the "44 GB per wafer"
        #expect(t.dataBytesPerPE == 38_912)
        #expect(t.routableColors - t.reservedColors == 21)
        // WSE-3: 8-wide fp16 SIMD and 16 SRAM bytes per cycle both bound a GEMV at 8 MACs per
        // cycle; the production kernels sustain their fitted share of it. 4-bit weights halve
        // the bytes but compute in fp16 after dequantisation, so they are slower per MAC.
        let k = try #require(t.kernels)
        #expect(t.kernels?.name == "production-wse3" && t.defaultKernels == "production-wse3")
        #expect(abs(t.macs(for: .fp16) - 8 * k.matvecEfficiency.value) < 1e-9)
        #expect(abs(t.macs(for: .bf16) - t.macs(for: .fp16)) < 1e-12)
        let dequant = try #require(k.dequantCyclesPerWeight[.int4]).value
        #expect(abs(t.macs(for: .int4) - k.matvecEfficiency.value / (0.125 + dequant)) < 1e-9)
        #expect(t.macs(for: .int4) < t.macs(for: .fp16))
    }

    /// The hardware bound of a batch-1 GEMV: the slower of the SIMD and the SRAM stream.
    @Test func matvecBoundIsTheSlowerOfSIMDAndSRAM() throws {
        let h = try #require(try BuiltinTargets.resolve("wse3").hardware)
        #expect(h.boundCyclesPerMAC(.fp16) == 0.125)          // max(1/8, 2/16)
        #expect(h.boundCyclesPerMAC(.fp32) == 0.5)            // max(1/2, 4/16)
        #expect(h.boundCyclesPerMAC(.fp8_e4m3) == 0.125)      // max(1/8 in fp16, 1/16)
        var slow = h
        slow.sramReadBytesPerCycle = 2                        // SRAM-bound: 2 bytes per weight at 2 B/cycle
        #expect(slow.boundCyclesPerMAC(.fp16) == 1)
        #expect(slow.boundCyclesPerMAC(.int4) == 0.25)
    }

    /// A kernel profile changes the sustained figures, not the hardware; a version-1 target
    /// refuses one, and an unknown one is an error with the built-in names.
    @Test func kernelProfilesApplyToHardwareFacts() throws {
        let wse3 = try BuiltinTargets.resolve("wse3")
        let research = try BuiltinTargets.resolve("wse3", kernels: "waferllm-wse2")
        #expect(research.kernels?.name == "waferllm-wse2" && research.hardware == wse3.hardware)
        #expect(research.relayLatencyCycles == 20 && research.layerOverheadCycles == 2765)
        #expect(abs(research.macs(for: .fp16) - 8 * 0.3125) < 1e-9)
        let v1 = BuiltinTargets.text("small32")!.replacingOccurrences(of: "kernels: waferllm-wse2", with: "kernels: nope")
        #expect(throws: DiagnosticError.self) { try TargetDecoder.decode(bytes: Array(v1.utf8), file: "t.yaml") }
        do {
            _ = try BuiltinTargets.resolve("wse3", kernels: "fastest")
            Issue.record("expected an error")
        } catch {
            #expect(error.diagnostics.first?.message == "unknown kernel profile 'fastest'")
        }
        let planLike = try BuiltinTargets.resolve("Tests/Fixtures/targets/one-column.yaml")
        #expect(planLike.hardware == nil)
        #expect(throws: DiagnosticError.self) { try BuiltinTargets.resolve("Tests/Fixtures/targets/one-column.yaml", kernels: "production-wse3") }
    }

    /// The uncertain assumptions: the slow setting gives the slow end of every range.
    @Test func assumptionSettingsTakeTheRangeEnds() throws {
        let t = try BuiltinTargets.resolve("wse3")
        let k = try #require(t.kernels), h = try #require(t.hardware)
        let slow = t.applying(k, .slowest), fast = t.applying(k, .fastest)
        #expect(slow.clockMHz == h.clockMHz.low && fast.clockMHz == h.clockMHz.high)
        #expect(slow.relayLatencyCycles == Int(k.relayCycles.high) && fast.relayLatencyCycles == Int(k.relayCycles.low))
        #expect(slow.macs(for: .fp16) < t.macs(for: .fp16) && t.macs(for: .fp16) < fast.macs(for: .fp16))
        #expect(slow.waferLinkLatencyNs == h.waferLinkLatencyNs.high)
        #expect(Set(t.uncertainAssumptions).isSuperset(of: [.clock, .relay, .layerOverhead, .matvecEfficiency]))
    }

    @Test(arguments: BuiltinKernelProfiles.names)
    func builtinKernelProfilesMatchTheExampleFiles(_ name: String) throws {
        let file = try String(contentsOfFile: TestPaths.root.appendingPathComponent("examples/kernels/\(name).yaml").path, encoding: .utf8)
        #expect(BuiltinKernelProfiles.text(name).map { $0 + "\n" } == file)
        #expect(try BuiltinKernelProfiles.resolve(name).name == name)
    }

    @Test func wse2() throws {
        let t = try BuiltinTargets.resolve("wse2")
        #expect(t.programWidth == 750 && t.programHeight == 994)
    }

    @Test(arguments: BuiltinTargets.names)
    func builtinTextsMatchTheExampleFiles(_ name: String) throws {
        let file = try String(contentsOfFile: TestPaths.root.appendingPathComponent("examples/targets/\(name).yaml").path, encoding: .utf8)
        #expect(BuiltinTargets.text(name).map { $0 + "\n" } == file)
        _ = try BuiltinTargets.resolve(name)
    }

    @Test func unknownTargetSuggests() {
        do {
            _ = try BuiltinTargets.resolve("wse4")
            Issue.record("expected an error")
        } catch {
            #expect(error.diagnostics.first?.message == "unknown target 'wse4'")
        }
    }

    func targetError(_ edit: (String) -> String) -> Diagnostic? {
        guard let base = BuiltinTargets.text("small32") else { return nil }
        do {
            _ = try TargetDecoder.decode(bytes: Array(edit(base).utf8), file: "t.yaml")
            return nil
        } catch {
            return error.diagnostics.first
        }
    }

    @Test func validationIsLocated() {
        let halo = targetError { $0.replacingOccurrences(of: "  west: 4", with: "  west: 30") }
        #expect(halo?.message == "the halo leaves no program area on a 32x32 fabric")
        #expect(halo?.location?.line == 9)
        let sram = targetError { $0.replacingOccurrences(of: "buffer_bytes: 2048", with: "buffer_bytes: 41000") }
        #expect(sram?.message.contains("leave no SRAM for data") == true)
        let colors = targetError { $0.replacingOccurrences(of: "reserved: 3", with: "reserved: 24") }
        #expect(colors?.message.contains("leaving none for the program") == true)
        let unknown = targetError { $0.replacingOccurrences(of: "wavelet_bits: 32", with: "clok_ghz: 1\nwavelet_bits: 32") }
        #expect(unknown?.message == "unknown key 'clok_ghz' in the target")
        let macs = targetError { $0.replacingOccurrences(of: "    fp16: 8 ", with: "    #fp16: 8 ") }
        #expect(macs?.message.contains("needs at least 'fp16'") == true)
    }
}

@Suite struct DefectMapTests {
    let target: Target
    init() throws { target = try BuiltinTargets.resolve("small32") }

    func decode(_ body: String, wafers: Int = 2, targetName: String = "small32", width: Int = 32) throws(DiagnosticError) -> DefectMap {
        let text = "version: 1\ntarget: \(targetName)\nfabric: {width: \(width), height: 32}\nwafers: \(wafers)\ndefects:\n" + body
        return try DefectMapIO.decode(bytes: Array(text.utf8), file: "d.yaml", target: target)
    }

    func error(_ body: String, targetName: String = "small32", width: Int = 32) -> Diagnostic? {
        do {
            _ = try decode(body, targetName: targetName, width: width)
            return nil
        } catch {
            return error.diagnostics.first
        }
    }

    @Test func readsDeadPEsAndLinks() throws {
        let map = try decode("  - wafer: 1\n    dead_pes: [[3, 4], [0, 0]]\n    dead_links: [[5, 5, E], [6, 5, S], [2, 2, N]]\n")
        #expect(map.waferCount == 2)
        #expect(map.wafers[0].deadPEs.isEmpty)
        #expect(map.wafers[1].deadPEs == [0, 4 * 32 + 3])
        #expect(map.wafers[1].isDead(pe: 4 * 32 + 3))
        #expect(!map.wafers[1].isDead(pe: 5))
        // W of (6,5) is E of (5,5): the same link, so this is a duplicate.
        #expect(error("  - wafer: 0\n    dead_links: [[5, 5, E], [6, 5, W]]\n")?.message == "dead link listed twice")
        #expect(map.totalDeadLinks == 3)
        #expect(map.wafers[1].isDead(link: 2 * (5 * 32 + 5)))
        #expect(map.wafers[1].isDead(link: 2 * (1 * 32 + 2) + 1))  // N of (2,2) is S of (2,1)
    }

    @Test func validation() {
        let outside = error("  - wafer: 0\n    dead_pes: [[32, 1]]\n")
        #expect(outside?.message == "(32, 1) is outside the 32x32 fabric")
        #expect(outside?.location == SourceLocation(file: "d.yaml", line: 7, column: 16))
        let duplicate = error("  - wafer: 0\n    dead_pes: [[1, 1], [2, 2], [1, 1]]\n")
        #expect(duplicate?.message == "dead PE listed twice")
        #expect(duplicate?.location?.column == 32)
        #expect(duplicate?.notes.first?.location?.column == 16)
        #expect(error("  - wafer: 2\n")?.message == "wafer 2 is outside the map's 2 wafers (0..<2)")
        #expect(error("  - wafer: 0\n  - wafer: 0\n")?.message == "wafer 0 is listed twice")
        #expect(error("", targetName: "wse3")?.message == "this defect map is for target 'wse3', but the target is 'small32'")
        #expect(error("", width: 31)?.message.contains("fabric is 31x32") == true)
        #expect(error("  - wafer: 0\n    dead_links: [[1, 1, Q]]\n")?.message == "link direction must be N, E, S or W, found 'Q'")
        #expect(error("  - wafer: 0\n    dead_links: [[31, 1, E]]\n")?.message == "the E link of PE (31, 1) leaves the fabric")
        #expect(error("  - wafer: 0\n    dead_pes: [[1]]\n")?.message == "a dead PE is [x, y], found 1 values")
    }

    @Test func renderRoundTrips() throws {
        let wse3 = try BuiltinTargets.resolve("wse3")
        let generator = DefectGenerator(target: wse3, rate: 0.002, linkRate: 0.001, clustering: .init(), seed: 42)
        let map = DefectMap(targetName: "wse3", fabricWidth: 762, fabricHeight: 1172, wafers: [generator.wafer(0), generator.wafer(1)])
        let text = DefectMapIO.render(map, header: ["test"])
        let back = try DefectMapIO.decode(bytes: Array(text.utf8), file: "r.yaml", target: wse3)
        #expect(back == map)
    }
}

@Suite struct DefectGeneratorTests {
    let wse3: Target
    init() throws { wse3 = try BuiltinTargets.resolve("wse3") }

    @Test func sameSeedSameDefectsDifferentSeedDifferent() {
        let a = DefectGenerator(target: wse3, rate: 0.001, seed: 5)
        let b = DefectGenerator(target: wse3, rate: 0.001, seed: 5)
        let c = DefectGenerator(target: wse3, rate: 0.001, seed: 6)
        #expect(a.wafer(3) == b.wafer(3))
        #expect(a.wafer(3) != c.wafer(3))
        #expect(a.wafer(3) != a.wafer(4))
    }

    @Test func uniformRateIsHonoured() {
        // 893,064 PEs at 0.1%: mean 893, standard deviation ~30 per wafer; over 8 wafers ~84.
        let g = DefectGenerator(target: wse3, rate: 0.001, linkRate: 0.0005, seed: 11)
        let dead = (0..<8).reduce(0) { $0 + g.wafer($1).deadPEs.count }
        #expect(abs(dead - 8 * 893) < 4 * 85)
        let links = (0..<8).reduce(0) { $0 + g.wafer($1).deadLinks.count }
        #expect(abs(links - 8 * 893) < 4 * 85)
    }

    @Test func clusteredDefectsAreOverdispersed() {
        // Index of dispersion (variance / mean) of dead PEs per 16x16 tile: ~1 for independent
        // defects, far above 1 when they cluster.
        func dispersion(_ defects: WaferDefects) -> Double {
            let tilesX = 762 / 16, tilesY = 1172 / 16
            var counts = [Int](repeating: 0, count: tilesX * tilesY)
            for index in defects.deadPEs {
                let x = Int(index) % 762 / 16, y = Int(index) / 762 / 16
                if x < tilesX && y < tilesY { counts[y * tilesX + x] += 1 }
            }
            let mean = Double(counts.reduce(0, +)) / Double(counts.count)
            let variance = counts.reduce(0.0) { $0 + (Double($1) - mean) * (Double($1) - mean) } / Double(counts.count)
            return variance / mean
        }
        let uniform = DefectGenerator(target: wse3, rate: 0.002, seed: 3).wafer(0)
        let clustered = DefectGenerator(target: wse3, rate: 0.002, clustering: .init(), seed: 3).wafer(0)
        #expect(dispersion(uniform) < 1.3)
        #expect(dispersion(clustered) > 3)
        let expected = 0.002 * 893_064
        #expect(Double(clustered.deadPEs.count) > 0.7 * expected && Double(clustered.deadPEs.count) < 1.2 * expected)
    }

    @Test func zeroAndTinyRates() {
        #expect(DefectGenerator(target: wse3, rate: 0, seed: 1).wafer(0) == .none)
        #expect(DefectGenerator(target: wse3, rate: 1e-300, linkRate: 1e-300, seed: 1).wafer(0) == .none)
    }

    @Test func linkIDsNormalise() {
        #expect(WaferDefects.linkID(x: 6, y: 5, .west, width: 10, height: 10) == WaferDefects.linkID(x: 5, y: 5, .east, width: 10, height: 10))
        #expect(WaferDefects.linkID(x: 2, y: 3, .north, width: 10, height: 10) == WaferDefects.linkID(x: 2, y: 2, .south, width: 10, height: 10))
        #expect(WaferDefects.linkID(x: 0, y: 0, .west, width: 10, height: 10) == nil)
        #expect(WaferDefects.linkID(x: 9, y: 9, .south, width: 10, height: 10) == nil)
    }
}
