import WaferSupport
import WaferYAML

/// Reads and writes defect-map files (docs/defect-format.md).
public enum DefectMapIO {
    /// Version 1: logical coordinates (defects the hardware did not absorb). Version 2:
    /// `coordinates: physical`, on the physical fabric of a target with `redundancy`.
    public static let formatVersion = 1, physicalFormatVersion = 2
    /// Defect maps list many coordinates: larger limits than model files. The largest generated
    /// map (`DefectGenerator.maxDefects`, about 18 MB and 4,000,000 nodes) fits with room; the
    /// tree of 8,000,000 nodes is read in seconds and well under 2 GB (docs/defect-format.md).
    public static let limits = YAMLLimits(maxFileBytes: 64 << 20, maxDepth: 16, maxNodes: 8_000_000)
    public static let maxWafers = 4096

    /// Reads a defect map and checks it against `target`: same name and fabric size, every
    /// coordinate inside the fabric, no duplicates, wafer indices below the declared count.
    /// Version 2 maps are in physical coordinates: they come back repaired (`DefectMap.repaired`),
    /// their logical holes in `wafers` and what the spares absorbed in `repairs`.
    public static func load(path: String, target: Target) throws(DiagnosticError) -> DefectMap {
        try loadAsWritten(path: path, target: target).repaired(for: target)
    }

    /// The map as the file gives it: physical coordinates for version 2 (`physical` set). O(file).
    public static func loadAsWritten(path: String, target: Target) throws(DiagnosticError) -> DefectMap {
        try decode(YAMLReader.load(path: path, limits: limits), target: target)
    }

    public static func decode(bytes: [UInt8], file: String, target: Target) throws(DiagnosticError) -> DefectMap {
        try decode(YAMLReader.parse(bytes: bytes, file: file, limits: limits), target: target)
    }

    public static func decode(_ root: YAMLNode, target: Target) throws(DiagnosticError) -> DefectMap {
        var map = try MappingReader(root, context: "the defect map")
        let versionNode = try map.required("version")
        let version = try versionNode.integer("'version'", in: 0...Int.max)
        if version != formatVersion && version != physicalFormatVersion {
            throw .error(TargetFailure.defectsVersion, "unsupported defect map version \(version); this WaferMap reads versions \(formatVersion) (logical) and \(physicalFormatVersion) (physical)", at: versionNode.location)
        }
        let targetNode = try map.required("target")
        let targetName = try targetNode.string("'target'")
        if targetName != target.name {
            throw .error(TargetFailure.defectsTarget, "this defect map is for target '\(targetName)', but the target is '\(target.name)'", at: targetNode.location)
        }
        let physical = version == physicalFormatVersion
        if physical {
            let node = try map.required("coordinates")
            let text = try node.string("'coordinates'")
            guard text == "physical" else {
                throw .error(TargetFailure.defectsCoordinates, "a version 2 defect map has 'coordinates: physical', found '\(text)' (version 1 maps are logical)", at: node.location)
            }
            guard target.redundancy != nil else {
                throw .error(TargetFailure.defectsCoordinates, "a physical (version 2) defect map needs a target with 'redundancy:', and \(target.name) has none; give a version 1 map in logical coordinates", at: node.location)
            }
        }
        let expectedHeight = physical ? target.physicalHeight : target.fabricHeight
        let fabricNode = try map.required("fabric")
        var fabric = try MappingReader(fabricNode, context: "'fabric'")
        let width = try fabric.required("width").integer("'fabric.width'", in: 1...TargetLimits.maxFabricSide)
        let height = try fabric.required("height").integer("'fabric.height'", in: 1...TargetLimits.maxFabricSide)
        try fabric.finish()
        if width != target.fabricWidth || height != expectedHeight {
            throw .error(TargetFailure.defectsFabric, "the map's fabric is \(width)x\(height) PEs but \(target.name)'s \(physical ? "physical" : "logical") fabric is \(target.fabricWidth)x\(expectedHeight)", at: fabricNode.location)
        }
        let countNode = try map.required("wafers")
        let count = try countNode.integer("'wafers'", in: 1...maxWafers)
        let entries = try map.optional("defects")?.list("'defects'") ?? []
        try map.finish()

        var wafers = Array(repeating: WaferDefects.none, count: count)
        var seen: [Int: SourceLocation] = [:]
        for entry in entries {
            var wafer = try MappingReader(entry, context: "a wafer's defects")
            let indexNode = try wafer.required("wafer")
            let index = try indexNode.integer("'wafer'", in: 0...Int.max)
            guard index < count else {
                throw .error(TargetFailure.defectsWaferIndex, "wafer \(index) is outside the map's \(count) wafers (0..<\(count))", at: indexNode.location)
            }
            if let previous = seen[index] {
                throw .error(TargetFailure.defectsDuplicateWafer, "wafer \(index) is listed twice", at: indexNode.location, notes: [.note("first listed here", at: previous)])
            }
            seen[index] = indexNode.location
            var pes: [(Int32, SourceLocation)] = []
            let deadPEs = wafer.optional("dead_pes")
            for item in try boundedList(deadPEs, "'dead_pes'", atMost: width * height, of: "PEs") {
                let (x, y) = try coordinate(item, width: width, height: height, extra: 0)
                pes.append((Int32(y * width + x), item.location))
            }
            var links: [(Int32, SourceLocation)] = []
            let deadLinks = wafer.optional("dead_links")
            for item in try boundedList(deadLinks, "'dead_links'", atMost: 2 * width * height, of: "link slots") {
                let (x, y) = try coordinate(item, width: width, height: height, extra: 1)
                let parts = try item.list("a dead link")
                let text = try parts[2].string("the link direction")
                guard let direction = Direction(rawValue: text) else {
                    throw .error(TargetFailure.defectsLinkDirection, "link direction must be N, E, S or W, found '\(text)'", at: parts[2].location)
                }
                guard let id = WaferDefects.linkID(x: x, y: y, direction, width: width, height: height) else {
                    throw .error(TargetFailure.defectsOffFabric, "the \(direction.rawValue) link of PE (\(x), \(y)) leaves the fabric", at: item.location)
                }
                links.append((id, item.location))
            }
            try wafer.finish()
            try checkDuplicates(pes, what: "dead PE")
            try checkDuplicates(links, what: "dead link")
            wafers[index] = WaferDefects(deadPEs: pes.map(\.0), deadLinks: links.map(\.0))
        }
        return DefectMap(targetName: targetName, fabricWidth: width, fabricHeight: height, wafers: wafers, physical: physical)
    }

    /// The items of a wafer's list, refused at the list when it has more entries than the
    /// fabric has PEs (or link slots): more must repeat one. O(1) besides the list itself.
    static func boundedList(_ node: YAMLNode?, _ what: String, atMost limit: Int, of things: String) throws(DiagnosticError) -> [YAMLNode] {
        guard let node else { return [] }
        let items = try node.list(what)
        guard items.count <= limit else {
            throw .error(TargetFailure.defectsTooMany, "\(what) lists \(Units.grouped(items.count)) entries, more than the fabric's \(Units.grouped(limit)) \(things)", at: node.location)
        }
        return items
    }

    /// `[x, y]` (or `[x, y, D]` when `extra` is 1), inside the fabric.
    static func coordinate(_ node: YAMLNode, width: Int, height: Int, extra: Int) throws(DiagnosticError) -> (Int, Int) {
        let parts = try node.list(extra == 0 ? "a dead PE [x, y]" : "a dead link [x, y, direction]")
        guard parts.count == 2 + extra else {
            throw .error(TargetFailure.defectsEntryShape, extra == 0 ? "a dead PE is [x, y], found \(parts.count) values" : "a dead link is [x, y, N|E|S|W], found \(parts.count) values", at: node.location)
        }
        let x = try parts[0].integer("x", in: 0...Int.max)
        let y = try parts[1].integer("y", in: 0...Int.max)
        guard x < width, y < height else {
            throw .error(TargetFailure.defectsOffFabric, "(\(x), \(y)) is outside the \(width)x\(height) fabric", at: node.location)
        }
        return (x, y)
    }

    static func checkDuplicates(_ items: [(Int32, SourceLocation)], what: String) throws(DiagnosticError) {
        let sorted = items.sorted { $0.0 != $1.0 ? $0.0 < $1.0 : $0.1 < $1.1 }
        for (a, b) in zip(sorted, sorted.dropFirst()) where a.0 == b.0 {
            let (first, second) = a.1 < b.1 ? (a.1, b.1) : (b.1, a.1)
            throw .error(TargetFailure.defectsDuplicate, "\(what) listed twice", at: second, notes: [.note("first listed here", at: first)])
        }
    }

    /// The YAML text of a defect map. Deterministic: wafers in order, coordinates sorted,
    /// eight entries per line. `header` lines become comments at the top.
    public static func render(_ map: DefectMap, header: [String] = []) -> String {
        var out = header.map { "# \($0)\n" }.joined()
        out += "version: \(map.physical ? physicalFormatVersion : formatVersion)\n"
        out += "target: \(map.targetName)\n"
        if map.physical { out += "coordinates: physical\n" }
        out += "fabric: {width: \(map.fabricWidth), height: \(map.fabricHeight)}\n"
        out += "wafers: \(map.waferCount)\n"
        out += "defects:\n"
        let w = map.fabricWidth
        for (index, wafer) in map.wafers.enumerated() {
            out += "  - wafer: \(index)\n"
            out += "    dead_pes: " + list(wafer.deadPEs.map { "[\(Int($0) % w), \(Int($0) / w)]" })
            out += "    dead_links: " + list(wafer.deadLinks.map { id in
                let pe = Int(id) / 2
                return "[\(pe % w), \(pe / w), \(id % 2 == 0 ? "E" : "S")]"
            })
        }
        return out
    }

    static func list(_ items: [String]) -> String {
        guard !items.isEmpty else { return "[]\n" }
        var lines: [String] = []
        var index = 0
        while index < items.count {
            lines.append(items[index..<min(index + 8, items.count)].joined(separator: ", "))
            index += 8
        }
        return "[" + lines.joined(separator: ",\n      ") + "]\n"
    }
}
