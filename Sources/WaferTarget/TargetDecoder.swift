import WaferSupport
import WaferYAML

/// YAML -> `Target`, every key checked with a located error. docs/target-format.md documents the keys;
/// every figure is held to `TargetLimits`, refused at its own line and column.
public enum TargetDecoder {
    public static let formatVersion = 1

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
        if version != formatVersion {
            throw .error(TargetFailure.version, "unsupported target format version \(version); this WaferMap reads version \(formatVersion)", at: versionNode.location)
        }
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
        let macsNode = try pe.required("macs_per_cycle")
        var macsMap = try MappingReader(macsNode, context: "'pe.macs_per_cycle'")
        var macs: [ElementType: Double] = [:]
        for element in ElementType.allCases {
            if let node = macsMap.optional(element.rawValue) {
                macs[element] = try node.number("'macs_per_cycle.\(element.rawValue)'", in: TargetLimits.macsPerCycle)
            }
        }
        try macsMap.finish()
        if macs[.fp16] == nil {
            throw .error(TargetFailure.noFP16Rate, "'macs_per_cycle' needs at least 'fp16' (quantized types compute at the fp16 rate unless listed)", at: macsNode.location)
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

        let clock = try map.required("clock_mhz").number("'clock_mhz'", in: TargetLimits.clockMHz)

        var latency = try MappingReader(try map.required("latency"), context: "'latency'")
        let hop = try latency.required("hop_cycles").integer("'latency.hop_cycles'", in: 0...TargetLimits.maxLinkLatencyCycles)
        let ramp = try latency.required("ramp_cycles").integer("'latency.ramp_cycles'", in: 0...TargetLimits.maxLinkLatencyCycles)
        let relay = try latency.required("relay_cycles").integer("'latency.relay_cycles'", in: 0...TargetLimits.maxLinkLatencyCycles)
        let overhead = try latency.optional("layer_overhead_cycles")?.integer("'latency.layer_overhead_cycles'", in: 0...TargetLimits.maxLayerOverheadCycles) ?? 0
        try latency.finish()

        let wavelet = try map.required("wavelet_bits").integer("'wavelet_bits'", in: 1...TargetLimits.maxWaveletBits)

        var link = try MappingReader(try map.required("wafer_link"), context: "'wafer_link'")
        let gbps = try link.required("bandwidth_gbps").number("'wafer_link.bandwidth_gbps'", in: TargetLimits.waferLinkGbps)
        let linkLatency = try link.required("latency_ns").number("'wafer_link.latency_ns'", in: TargetLimits.waferLinkLatencyNs)
        try link.finish()
        map.allow(["sources"])
        try map.finish()

        return Target(name: name, description: description, fabricWidth: width, fabricHeight: height, halo: halo,
                      sramBytesPerPE: sram, runtimeReserveBytesPerPE: reserve, bufferBytesPerPE: buffers,
                      macsPerCycle: macs, routableColors: routable, reservedColors: reserved, clockMHz: clock,
                      hopLatencyCycles: hop, rampLatencyCycles: ramp, relayLatencyCycles: relay, layerOverheadCycles: overhead,
                      waveletBits: wavelet, waferLinkGbps: gbps, waferLinkLatencyNs: linkLatency)
    }
}
