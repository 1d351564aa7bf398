import Testing
import WaferSupport
import WaferTarget

/// Hostile targets and defect maps (issue 20): every figure outside what the rest of the
/// program handles is refused at its own line and column; every accepted size works.
@Suite struct HostileTargetTests {
    func targetError(_ edit: (String) -> String) -> Diagnostic? {
        guard let base = BuiltinTargets.text("small32") else { return nil }
        do {
            _ = try TargetDecoder.decode(bytes: Array(edit(base).utf8), file: "t.yaml")
            return nil
        } catch {
            return error.diagnostics.first
        }
    }

    /// Each out-of-range figure: the text replaced, the message expected, its line and column
    /// in small32's text.
    @Test(arguments: [
        ("  width: 32\n", "  width: 100000\n", "'fabric.width' of 100000 exceeds the limit of 4,096", 6, 10),
        ("  height: 32\n", "  height: 4097\n", "'fabric.height' of 4097 exceeds the limit of 4,096", 7, 11),
        ("  east: 3\n", "  east: 40\n", "'halo.east' of 40 exceeds the limit of 32", 10, 9),
        ("  sram_bytes: 49152 ", "  sram_bytes: 1073741824 ", "'pe.sram_bytes' of 1073741824 exceeds the limit of 131,072", 14, 15),
        ("  buffer_bytes: 2048 ", "  buffer_bytes: 40961 ", "runtime reserve (8192 B) plus buffers (40961 B) leave no SRAM for data out of 49152 B", 16, 17),
        ("    fp16: 8 ", "    fp16: 0 ", "'pe.simd_macs_per_cycle.fp16' must be between 0.001 and 1000000.0, got 0", 19, 11),
        ("  sram_read_bytes_per_cycle: 16 ", "  sram_read_bytes_per_cycle: 1e9 ", "'pe.sram_read_bytes_per_cycle' must be between 0.001 and 4096.0, got 1e9", 21, 30),
        ("  input_queues: 8 ", "  input_queues: 65 ", "'pe.input_queues' of 65 exceeds the limit of 64", 23, 17),
        ("  routable: 24 ", "  routable: 4096 ", "'colors.routable' of 4096 exceeds the limit of 64", 25, 13),
        ("  value: 1100\n", "  value: 1e9\n", "'clock_mhz.value' must be between 1.0 and 1000000.0, got 1e9", 28, 10),
        ("  low: 1100\n", "  low: 1200\n", "'clock_mhz' needs low <= value <= high, found low 1200.0, value 1100.0, high 1300.0", 29, 8),
        ("  hop_cycles: 1 ", "  hop_cycles: 65537 ", "'latency.hop_cycles' of 65537 exceeds the limit of 65,536", 32, 15),
        ("wavelet_bits: 32 ", "wavelet_bits: 4096 ", "'wavelet_bits' of 4096 exceeds the limit of 1,024", 34, 15),
        ("  bandwidth_gbps: 1200 ", "  bandwidth_gbps: 1e9 ", "'wafer_link.bandwidth_gbps' must be between 0.001 and 1000000.0, got 1e9", 36, 19),
        ("    value: 2000\n", "    value: 1e12\n", "'wafer_link.latency_ns.value' must be between 0.0 and 1000000000.0, got 1e12", 38, 12),
        ("kernels: waferllm-wse2 ", "kernels: fastest ", "unknown kernel profile 'fastest'", 41, 10),
        ("name: small32\n", "name: \"small\\x0032\"\n", "'name' contains the control character U+0000; text may not hold control characters", 3, 7),
    ])
    func figuresOutsideTheLimitsAreRefusedAtTheirValue(_ from: String, _ to: String, _ message: String, _ line: Int, _ column: Int) {
        let error = targetError { text in
            #expect(text.contains(from), "small32 has no '\(from)'")
            return text.replacingOccurrences(of: from, with: to)
        }
        #expect(error?.message == message)
        #expect(error?.location == SourceLocation(file: "t.yaml", line: line, column: column))
    }

    /// The largest accepted fabric (4,096 x 4,096) at the highest rate: every PE and link id
    /// fits in 32 bits, the generator, the map reader and writer, pocket sealing and the
    /// program-area count all work without a trap.
    @Test func theLargestAcceptedFabricWorksEndToEnd() throws {
        guard let base = BuiltinTargets.text("small32") else { return }
        let text = base.replacingOccurrences(of: "  width: 32\n", with: "  width: 4096\n")
            .replacingOccurrences(of: "  height: 32\n", with: "  height: 4096\n")
            .replacingOccurrences(of: "name: small32", with: "name: huge")
            .replacingOccurrences(of: "  sram_bytes: 49152 ", with: "  sram_bytes: 131072 ")
        let target = try TargetDecoder.decode(bytes: Array(text.utf8), file: "huge.yaml")
        #expect(target.fabricPEs == 1 << 24)
        let last = WaferDefects.linkID(x: 4095, y: 4094, .south, width: 4096, height: 4096)
        #expect(last == Int32(2 * (4094 * 4096 + 4095) + 1))
        let generator = DefectGenerator(target: target, rate: DefectGenerator.maxRate, linkRate: 0.001, seed: 3)
        // One wafer at 5% is within the generated-map bound; 2 is not.
        try generator.checkBounds(wafers: 1)
        #expect(throws: DiagnosticError.self) { try generator.checkBounds(wafers: 2) }
        let wafer = generator.wafer(0)
        #expect(wafer.deadPEs.allSatisfy { $0 >= 0 && Int($0) < target.fabricPEs })
        #expect(wafer.deadLinks.allSatisfy { $0 >= 0 && Int($0) < 2 * target.fabricPEs })
        #expect(wafer.deadPEsInProgramArea(of: target) <= wafer.deadPEs.count)
        var corner = WaferDefects(deadPEs: [Int32(target.fabricPEs - 1)], deadLinks: [])
        corner = corner.sealingPockets(width: 4096, height: 4096)
        #expect(corner.isDead(pe: Int32(target.fabricPEs - 1)))
        let map = DefectMap(targetName: "huge", fabricWidth: 4096, fabricHeight: 4096,
                            wafers: [WaferDefects(deadPEs: [0, Int32(target.fabricPEs - 1)], deadLinks: [last ?? 0])])
        let back = try DefectMapIO.decode(bytes: Array(DefectMapIO.render(map).utf8), file: "m.yaml", target: target)
        #expect(back == map)
    }

    /// Defect maps are held to the target: a fabric beyond the target limits, or a wafer's
    /// list longer than the fabric has PEs or link slots, is refused at the list.
    @Test func defectMapsBeyondTheTargetAreRefused() throws {
        let small = try BuiltinTargets.resolve("small32")
        func error(_ text: String) -> Diagnostic? {
            do {
                _ = try DefectMapIO.decode(bytes: Array(text.utf8), file: "d.yaml", target: small)
                return nil
            } catch {
                return error.diagnostics.first
            }
        }
        let head = "version: 1\ntarget: small32\nfabric: {width: 32, height: 32}\nwafers: 1\ndefects:\n  - wafer: 0\n"
        let pes = (0..<1025).map { "[\($0 % 32), \($0 / 32 % 32)]" }.joined(separator: ", ")
        let tooMany = error(head + "    dead_pes: [\(pes)]\n")
        #expect(tooMany?.message == "'dead_pes' lists 1,025 entries, more than the fabric's 1,024 PEs")
        #expect(tooMany?.location == SourceLocation(file: "d.yaml", line: 7, column: 15))
        let links = (0..<2049).map { "[\($0 % 31), \($0 / 31 % 32), E]" }.joined(separator: ", ")
        #expect(error(head + "    dead_links: [\(links)]\n")?.message == "'dead_links' lists 2,049 entries, more than the fabric's 2,048 link slots")
        let wide = error("version: 1\ntarget: small32\nfabric: {width: 100000, height: 32}\nwafers: 1\n")
        #expect(wide?.message == "'fabric.width' of 100000 exceeds the limit of 4,096")
        #expect(wide?.location == SourceLocation(file: "d.yaml", line: 3, column: 17))
        let far = error(head + "    dead_pes: [[99999999999, 0]]\n")
        #expect(far?.message == "(99999999999, 0) is outside the 32x32 fabric")
        #expect(error("version: 1\ntarget: small32\nfabric: {width: 32, height: 32}\nwafers: 4097\n")?.message == "'wafers' of 4097 exceeds the limit of 4,096")
    }
}
