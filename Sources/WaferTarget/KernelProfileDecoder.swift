import WaferSupport
import WaferYAML

/// YAML -> `KernelProfile`, every key checked with a located error (docs/kernel-profiles.md
/// documents the keys). Each constant is a number or `{value, low, high}`.
public enum KernelProfileDecoder {
    public static let formatVersion = 1

    public static func load(path: String) throws(DiagnosticError) -> KernelProfile {
        try decode(YAMLReader.load(path: path))
    }

    public static func decode(bytes: [UInt8], file: String) throws(DiagnosticError) -> KernelProfile {
        try decode(YAMLReader.parse(bytes: bytes, file: file))
    }

    public static func decode(_ root: YAMLNode) throws(DiagnosticError) -> KernelProfile {
        var map = try MappingReader(root, context: "the kernel profile")
        let versionNode = try map.required("version")
        let version = try versionNode.integer("'version'", in: 0...Int.max)
        if version != formatVersion {
            throw .error(TargetFailure.kernelsVersion, "unsupported kernel profile format version \(version); this WaferMap reads version \(formatVersion)", at: versionNode.location)
        }
        let name = try map.required("name").name("'name'")
        let description = try map.optional("description")?.string("'description'") ?? ""
        let source = try map.required("source").string("'source'")
        let efficiency = try map.required("matvec_efficiency").uncertain("'matvec_efficiency'", in: TargetLimits.matvecEfficiency)
        var dequant: [ElementType: Uncertain] = [:]
        if let node = map.optional("dequant_cycles_per_weight") {
            var types = try MappingReader(node, context: "'dequant_cycles_per_weight'")
            for element in ElementType.allCases where !element.isPlainFloat {
                if let value = types.optional(element.rawValue) {
                    dequant[element] = try value.uncertain("'dequant_cycles_per_weight.\(element.rawValue)'", in: TargetLimits.dequantCyclesPerWeight)
                }
            }
            try types.finish()
        }
        let cycles = 0...Double(TargetLimits.maxLinkLatencyCycles)
        let relay = try map.required("relay_cycles").uncertain("'relay_cycles'", in: cycles)
        let overhead = try map.required("layer_overhead_cycles").uncertain("'layer_overhead_cycles'", in: 0...Double(TargetLimits.maxLayerOverheadCycles))
        let overlap = try map.optional("reduction_overlap")?.uncertain("'reduction_overlap'", in: 0...1) ?? .exact(0)
        map.allow(["sources"])
        try map.finish()
        return KernelProfile(name: name, description: description, source: source, matvecEfficiency: efficiency, dequantCyclesPerWeight: dequant,
                             relayCycles: relay, layerOverheadCycles: overhead, reductionOverlap: overlap)
    }
}
