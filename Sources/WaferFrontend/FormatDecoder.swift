import WaferIR
import WaferSupport
import WaferYAML

/// Reads a storage format from YAML: a name (`bf16`, `fp8`, `int4`, `mxfp4`) or a mapping
/// (`{type: fp8_e4m3, block: [128, 128], scale: fp32}`, `{type: int4, group_size: 32}`,
/// `{type: int8, per_channel: true}`).
///
/// Defaults for names, documented in docs/model-format.md: `fp8` is `fp8_e4m3` without scales;
/// `int8` has one bf16 scale per output channel; `int4` has one bf16 scale per 32 values;
/// `mxfp4` always has one e8m0 scale per 32 values. Mapping scales default to fp32 for fp8
/// blocks and bf16 otherwise.
public enum FormatDecoder {
    public static let names = ["fp32", "bf16", "fp16", "fp8", "fp8_e4m3", "fp8_e5m2", "int8", "int4", "mxfp4"]

    /// A format from its name alone, or nil when the name is unknown.
    public static func named(_ name: String) -> NumberFormat? {
        switch name {
        case "fp32": return .fp32
        case "bf16": return .bf16
        case "fp16": return .fp16
        case "fp8", "fp8_e4m3": return NumberFormat(.fp8_e4m3)
        case "fp8_e5m2": return NumberFormat(.fp8_e5m2)
        case "int8": return NumberFormat(.int8, scaling: .channel(scale: .bf16))
        case "int4": return NumberFormat(.int4, scaling: .group(size: 32, scale: .bf16))
        case "mxfp4": return .mxfp4
        default: return nil
        }
    }

    public static func decode(_ node: YAMLNode, what: String) throws(DiagnosticError) -> NumberFormat {
        if case .scalar = node.kind {
            let name = try node.string(what)
            guard let format = named(name) else { throw unknown(name, at: node.location) }
            return format
        }
        var map = try MappingReader(node, context: what)
        let typeNode = try map.required("type")
        let typeName = try typeNode.string("the format type")
        guard let base = named(typeName) else { throw unknown(typeName, at: typeNode.location) }
        let blockNode = map.optional("block")
        let groupNode = map.optional("group_size")
        let channelNode = map.optional("per_channel")
        let scaleNode = map.optional("scale")
        try map.finish()

        let given = [blockNode, groupNode, channelNode].compactMap { $0 }
        if given.count > 1 {
            throw .error(ModelFailure.scaleLayout, "give at most one of 'block', 'group_size' and 'per_channel'", at: given[1].location)
        }
        var scale: ScaleType?
        if let scaleNode {
            let text = try scaleNode.string("the scale type")
            guard let parsed = ScaleType(rawValue: text) else {
                throw .error(ModelFailure.unknownScaleType, "unknown scale type '\(text)'", at: scaleNode.location,
                             notes: [.note("scale types: \(ScaleType.allCases.map(\.rawValue).joined(separator: ", "))")])
            }
            scale = parsed
        }
        var format = base
        if let blockNode {
            let dims = try blockNode.list("'block'")
            guard dims.count == 2 else {
                throw .error(ModelFailure.blockShape, "'block' takes two sizes, [rows, cols], found \(dims.count)", at: blockNode.location)
            }
            let rows = try dims[0].integer("block rows", in: 1...ModelLimits.blockSize)
            let cols = try dims[1].integer("block columns", in: 1...ModelLimits.blockSize)
            format.scaling = .block(rows: rows, cols: cols, scale: scale ?? .fp32)
        } else if let groupNode {
            let size = try groupNode.integer("'group_size'", in: 1...ModelLimits.blockSize)
            format.scaling = .group(size: size, scale: scale ?? .bf16)
        } else if let channelNode {
            guard try channelNode.bool("'per_channel'") else {
                throw .error(ModelFailure.scaleLayout, "'per_channel: false' says nothing; give 'group_size' or 'block' instead", at: channelNode.location)
            }
            format.scaling = .channel(scale: scale ?? .bf16)
        } else if let scale {
            switch format.scaling {
            case let .group(size, _): format.scaling = .group(size: size, scale: scale)
            case .channel: format.scaling = .channel(scale: scale)
            default:
                throw .error(ModelFailure.scaleLayout, "'scale' needs a scale layout: give 'block', 'group_size' or 'per_channel'", at: scaleNode?.location ?? node.location)
            }
        }
        if let problem = format.validationProblem() {
            throw .error(ModelFailure.invalidFormat, "invalid format: \(problem)", at: node.location)
        }
        return format
    }

    /// Parses a format from the command line: a name (`fp8`) or the canonical text the IR prints
    /// (`fp8_e4m3[block=128x128,scale=fp32]`, `int4[group=32,scale=bf16]`, `int8[channel,scale=fp32]`).
    public static func parse(_ text: String) -> NumberFormat? {
        guard let open = text.firstIndex(of: "[") else { return named(text) }
        guard text.hasSuffix("]"), var format = named(String(text[..<open])) else { return nil }
        let body = text[text.index(after: open)..<text.index(before: text.endIndex)]
        var scale: ScaleType?
        var layout: Scaling?
        for item in body.split(separator: ",") {
            let pair = item.split(separator: "=", maxSplits: 1).map(String.init)
            switch (pair.first, pair.count == 2 ? pair[1] : nil) {
            case ("scale", let value?):
                guard let s = ScaleType(rawValue: value) else { return nil }
                scale = s
            case ("group", let value?):
                guard let n = Int(value), n > 0 else { return nil }
                layout = .group(size: n, scale: .bf16)
            case ("block", let value?):
                let dims = value.split(separator: "x").compactMap { Int($0) }
                guard dims.count == 2, dims[0] > 0, dims[1] > 0 else { return nil }
                layout = .block(rows: dims[0], cols: dims[1], scale: .fp32)
            case ("channel", nil):
                layout = .channel(scale: .bf16)
            default:
                return nil
            }
        }
        if let layout { format.scaling = layout }
        if let scale {
            switch format.scaling {
            case let .group(size, _): format.scaling = .group(size: size, scale: scale)
            case let .block(r, c, _): format.scaling = .block(rows: r, cols: c, scale: scale)
            case .channel: format.scaling = .channel(scale: scale)
            case .none: return nil
            }
        }
        return format.validationProblem() == nil ? format : nil
    }

    /// Splits a `--precision` list on the commas outside brackets, so canonical text with
    /// its own commas stays one item: `bf16,fp8_e4m3[block=128x128,scale=fp32],int4` is three
    /// formats. Brackets do not nest in the canonical text; an unclosed `[` keeps the rest of
    /// the list in one item (which `parse` then refuses, naming it). Empty items are kept, so
    /// `bf16,,int4` is refused rather than read as two formats. O(n).
    public static func splitList(_ text: String) -> [String] {
        var items: [String] = []
        var current = ""
        var depth = 0
        for c in text {
            switch c {
            case "[": depth += 1
            case "]": depth = max(0, depth - 1)
            case "," where depth == 0:
                items.append(current)
                current = ""
                continue
            default: break
            }
            current.append(c)
        }
        items.append(current)
        return items
    }

    static func unknown(_ name: String, at location: SourceLocation) -> DiagnosticError {
        var notes: [Diagnostic] = []
        if let suggestion = Suggest.closest(to: name, in: names) {
            notes.append(.note("did you mean '\(suggestion)'?", at: location))
        }
        notes.append(.note("precisions: \(names.joined(separator: ", "))"))
        return .error(ModelFailure.unknownPrecision, "unknown precision '\(name)'", at: location, notes: notes)
    }
}
