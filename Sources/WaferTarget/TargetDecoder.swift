import WaferSupport
import WaferYAML

/// YAML -> `Target`, every key checked with a located error. docs/target-format.md documents the keys;
/// every figure is held to `TargetLimits`, refused at its own line and column.
public enum TargetDecoder {
    /// The format version this build writes; it also reads version 1 (sustained figures given
    /// directly, no hardware facts or kernel profile).
    public static let formatVersion = 2

    public static func load(path: String) throws(DiagnosticError) -> Target {
        try decode(YAMLReader.load(path: path))
    }

    public static func decode(bytes: [UInt8], file: String) throws(DiagnosticError) -> Target {
        try decode(YAMLReader.parse(bytes: bytes, file: file))
    }

    public static func decode(_ root: YAMLNode) throws(DiagnosticError) -> Target {
        var map = try MappingReader(root, context: "the target")
        let versionNode = try map.required("version")
        let version = try versionNode.integer("'version'", in: 0...Int.max)
        if version != formatVersion && version != 1 {
            throw .error(TargetFailure.version, "unsupported target format version \(version); this WaferMap reads versions 1 and \(formatVersion)", at: versionNode.location)
        }
        let facts = version >= 2
        let name = try map.required("name").name("'name'")
        let description = try map.optional("description")?.string("'description'") ?? ""

        let fabricNode = try map.required("fabric")
        var fabric = try MappingReader(fabricNode, context: "'fabric'")
        let width = try fabric.required("width").integer("'fabric.width'", in: 1...TargetLimits.maxFabricSide)
        let height = try fabric.required("height").integer("'fabric.height'", in: 1...TargetLimits.maxFabricSide)
        try fabric.finish()

        let haloNode = try map.required("halo")
        var haloMap = try MappingReader(haloNode, context: "'halo'")
        let halo = Halo(west: try haloMap.required("west").integer("'halo.west'", in: 0...min(width, TargetLimits.maxHalo)),
                        east: try haloMap.required("east").integer("'halo.east'", in: 0...min(width, TargetLimits.maxHalo)),
                        north: try haloMap.required("north").integer("'halo.north'", in: 0...min(height, TargetLimits.maxHalo)),
                        south: try haloMap.required("south").integer("'halo.south'", in: 0...min(height, TargetLimits.maxHalo)))
        try haloMap.finish()
        if halo.west + halo.east >= width || halo.north + halo.south >= height {
            throw .error(TargetFailure.noProgramArea, "the halo leaves no program area on a \(width)x\(height) fabric", at: haloNode.location)
        }

        let peNode = try map.required("pe")
        var pe = try MappingReader(peNode, context: "'pe'")
        let sram = try pe.required("sram_bytes").integer("'pe.sram_bytes'", in: 1...TargetLimits.maxSRAMBytesPerPE)
        let reserveNode = try pe.required("runtime_reserve_bytes")
        let reserve = try reserveNode.integer("'pe.runtime_reserve_bytes'", in: 0...TargetLimits.maxSRAMBytesPerPE)
        let buffersNode = try pe.required("buffer_bytes")
        let buffers = try buffersNode.integer("'pe.buffer_bytes'", in: 0...TargetLimits.maxSRAMBytesPerPE)
        if reserve + buffers >= sram {
            throw .error(TargetFailure.noSRAM, "runtime reserve (\(reserve) B) plus buffers (\(buffers) B) leave no SRAM for data out of \(sram) B", at: buffersNode.location)
        }
        var macs: [ElementType: Double] = [:]
        var simd: [ElementType: Double] = [:], sramRead = 0.0, sramWrite = 0.0, queues = 0
        if facts {
            simd = try rates(pe.required("simd_macs_per_cycle"), "pe.simd_macs_per_cycle")
            sramRead = try pe.required("sram_read_bytes_per_cycle").number("'pe.sram_read_bytes_per_cycle'", in: TargetLimits.sramBytesPerCycle)
            sramWrite = try pe.required("sram_write_bytes_per_cycle").number("'pe.sram_write_bytes_per_cycle'", in: TargetLimits.sramBytesPerCycle)
            queues = try pe.required("input_queues").integer("'pe.input_queues'", in: 1...TargetLimits.maxColors)
        } else {
            macs = try rates(pe.required("macs_per_cycle"), "macs_per_cycle")
        }
        try pe.finish()

        let colorsNode = try map.required("colors")
        var colors = try MappingReader(colorsNode, context: "'colors'")
        let routable = try colors.required("routable").integer("'colors.routable'", in: 1...TargetLimits.maxColors)
        let reservedNode = try colors.required("reserved")
        let reserved = try reservedNode.integer("'colors.reserved'", in: 0...TargetLimits.maxColors)
        if reserved >= routable {
            throw .error(TargetFailure.noColors, "the runtime reserves \(reserved) of \(routable) colors, leaving none for the program", at: reservedNode.location)
        }
        try colors.finish()

        let clock = try map.required("clock_mhz").uncertain("'clock_mhz'", in: TargetLimits.clockMHz)

        var latency = try MappingReader(try map.required("latency"), context: "'latency'")
        let hop = try latency.required("hop_cycles").integer("'latency.hop_cycles'", in: 0...TargetLimits.maxLinkLatencyCycles)
        let ramp = try latency.required("ramp_cycles").integer("'latency.ramp_cycles'", in: 0...TargetLimits.maxLinkLatencyCycles)
        var relay = 0, overhead = 0
        if !facts {
            relay = try latency.required("relay_cycles").integer("'latency.relay_cycles'", in: 0...TargetLimits.maxLinkLatencyCycles)
            overhead = try latency.optional("layer_overhead_cycles")?.integer("'latency.layer_overhead_cycles'", in: 0...TargetLimits.maxLayerOverheadCycles) ?? 0
        }
        try latency.finish()

        let wavelet = try map.required("wavelet_bits").integer("'wavelet_bits'", in: 1...TargetLimits.maxWaveletBits)

        var link = try MappingReader(try map.required("wafer_link"), context: "'wafer_link'")
        let gbps = try link.required("bandwidth_gbps").number("'wafer_link.bandwidth_gbps'", in: TargetLimits.waferLinkGbps)
        let linkLatency = try link.required("latency_ns").uncertain("'wafer_link.latency_ns'", in: TargetLimits.waferLinkLatencyNs)
        try link.finish()
        let kernelsNode = facts ? try map.required("kernels") : nil
        let kernels = try kernelsNode?.name("'kernels'")
        let redundancy = try map.optional("redundancy").map { node throws(DiagnosticError) in try Redundancy.decode(node, height: height) }
        map.allow(["sources"])
        try map.finish()

        var target = Target(name: name, description: description, fabricWidth: width, fabricHeight: height, halo: halo,
                            sramBytesPerPE: sram, runtimeReserveBytesPerPE: reserve, bufferBytesPerPE: buffers,
                            macsPerCycle: macs, routableColors: routable, reservedColors: reserved, clockMHz: clock.value,
                            hopLatencyCycles: hop, rampLatencyCycles: ramp, relayLatencyCycles: relay, layerOverheadCycles: overhead,
                            waveletBits: wavelet, waferLinkGbps: gbps, waferLinkLatencyNs: linkLatency.value)
        target.redundancy = redundancy
        guard facts, let kernels, let kernelsNode else { return target }
        target.hardware = HardwareFacts(simdMacsPerCycle: simd, sramReadBytesPerCycle: sramRead, sramWriteBytesPerCycle: sramWrite,
                                        inputQueues: queues, clockMHz: clock, waferLinkLatencyNs: linkLatency)
        target.defaultKernels = kernels
        let profile = try BuiltinKernelProfiles.resolve(kernels, relativeTo: root.location.file, at: kernelsNode.location)
        return target.applying(profile)
    }

    /// A rate per element type (`fp16` required; any type may be listed). O(element types).
    static func rates(_ node: YAMLNode, _ what: String) throws(DiagnosticError) -> [ElementType: Double] {
        var map = try MappingReader(node, context: "'\(what)'")
        var rates: [ElementType: Double] = [:]
        for element in ElementType.allCases {
            if let value = map.optional(element.rawValue) {
                rates[element] = try value.number("'\(what).\(element.rawValue)'", in: TargetLimits.macsPerCycle)
            }
        }
        try map.finish()
        if rates[.fp16] == nil {
            throw .error(TargetFailure.noFP16Rate, "'\(what)' needs at least 'fp16' (quantized types compute at the fp16 rate unless listed)", at: node.location)
        }
        return rates
    }
}
