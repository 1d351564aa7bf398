import CYAML
import Foundation
import WaferSupport

/// Reads one YAML document into a located `YAMLNode` tree using libyaml's event parser.
///
/// libyaml does the scanning and parsing (YAML 1.1); this type builds the tree, keeps the
/// line and column of every node, resolves aliases and `<<` merge keys under a node budget,
/// rejects duplicate keys and explicit tags, and enforces `YAMLLimits`. O(n) in the size of the
/// expanded document, which the budget bounds.
public enum YAMLReader {
    /// Reads and parses the file at `path`. Errors name `displayName` (default: `path`).
    public static func load(path: String, displayName: String? = nil, limits: YAMLLimits = .default) throws(DiagnosticError) -> YAMLNode {
        let name = displayName ?? path
        let bytes = try readFile(path: path, displayName: name, limits: limits)
        return try parse(bytes: bytes, file: name, limits: limits)
    }

    /// Reads a whole file, refusing anything larger than `limits.maxFileBytes` before reading it.
    public static func readFile(path: String, displayName: String, limits: YAMLLimits) throws(DiagnosticError) -> [UInt8] {
        switch BoundedFile.read(path: path, maxBytes: limits.maxFileBytes) {
        case let .success(data): return [UInt8](data)
        case .failure(.missing): throw .error(YAMLFailure.noSuchFile, "no such file", at: .startOf(displayName))
        case .failure(.directory): throw .error(YAMLFailure.isDirectory, "is a directory, expected a YAML file", at: .startOf(displayName))
        case let .failure(.tooLarge(bytes?)):
            throw .error(YAMLFailure.fileTooLarge, "file is \(Units.grouped(bytes)) bytes; the limit is \(Units.grouped(limits.maxFileBytes)) bytes", at: .startOf(displayName))
        case .failure(.tooLarge(nil)):
            throw .error(YAMLFailure.fileTooLarge, "file is larger than the limit of \(Units.grouped(limits.maxFileBytes)) bytes", at: .startOf(displayName))
        case let .failure(.unreadable(reason)): throw .error(YAMLFailure.unreadable, reason, at: .startOf(displayName))
        }
    }

    /// Parses `bytes` as a single YAML document. An empty stream (nothing but comments or
    /// white space) is an error: every WaferMap input needs content.
    public static func parse(bytes: [UInt8], file: String, limits: YAMLLimits = .default) throws(DiagnosticError) -> YAMLNode {
        if bytes.count > limits.maxFileBytes {
            throw .error(YAMLFailure.fileTooLarge, "input is larger than the limit of \(Units.grouped(limits.maxFileBytes)) bytes", at: .startOf(file))
        }
        if let bad = firstInvalidUTF8(bytes) {
            throw .error(YAMLFailure.invalidUTF8, "invalid UTF-8 byte sequence (byte 0x\(String(bad.byte, radix: 16, uppercase: true)) at offset \(bad.offset)); WaferMap reads UTF-8 text only",
                         at: SourceLocation(file: file, line: bad.line, column: bad.column))
        }
        var builder = TreeBuilder(file: file, limits: limits, bytes: bytes)
        let outcome: Result<YAMLNode?, DiagnosticError> = bytes.withUnsafeBufferPointer { buffer in
            builder.run(buffer)
        }
        switch outcome {
        case let .failure(error):
            throw error
        case let .success(root?):
            return root
        case .success(nil):
            throw .error(YAMLFailure.emptyDocument, "empty document: expected a YAML mapping", at: .startOf(file))
        }
    }

    /// The first byte that does not start or continue valid UTF-8, with its 1-based line and column.
    static func firstInvalidUTF8(_ bytes: [UInt8]) -> (offset: Int, byte: UInt8, line: Int, column: Int)? {
        var line = 1, column = 1
        var index = 0
        let count = bytes.count
        while index < count {
            let lead = bytes[index]
            let length: Int
            var minimum: UInt32 = 0
            var scalar: UInt32
            switch lead {
            case 0x00...0x7F: length = 1; scalar = UInt32(lead)
            case 0xC2...0xDF: length = 2; scalar = UInt32(lead & 0x1F); minimum = 0x80
            case 0xE0...0xEF: length = 3; scalar = UInt32(lead & 0x0F); minimum = 0x800
            case 0xF0...0xF4: length = 4; scalar = UInt32(lead & 0x07); minimum = 0x10000
            default: return (index, lead, line, column)
            }
            if index + length > count { return (index, lead, line, column) }
            var offset = 1
            while offset < length {
                let next = bytes[index + offset]
                guard next & 0xC0 == 0x80 else { return (index, lead, line, column) }
                scalar = (scalar << 6) | UInt32(next & 0x3F)
                offset += 1
            }
            if scalar < minimum || scalar > 0x10FFFF || (0xD800...0xDFFF).contains(scalar) {
                return (index, lead, line, column)
            }
            if lead == 0x0A { line += 1; column = 1 } else { column += 1 }
            index += length
        }
        return nil
    }
}

/// Streams libyaml events into a tree. One instance parses one buffer.
///
/// Linear in the number of events: each open list or mapping is a `Frame` on `stack`, mutated
/// in place (`stack[top].items.append`, amortised O(1), never a copy of the items so far), and
/// duplicate keys are found with a per-mapping hash table, O(1) per key.
private struct TreeBuilder {
    let file: String
    let limits: YAMLLimits

    /// One list or mapping being built.
    private struct Frame {
        var isMapping: Bool
        var items: [YAMLNode] = []
        var pairs: [YAMLPair] = []
        var pendingKey: YAMLNode?
        /// The mapping's plain keys so far and where each was written (duplicate detection).
        var keyLocations: [String: SourceLocation] = [:]
        var hasMergeKey = false
        var location: SourceLocation
        var anchor: String?
        var size: Int
    }

    private var stack: [Frame] = []
    private var anchors: [String: (node: YAMLNode, size: Int)] = [:]
    private var root: YAMLNode?
    private var documents = 0
    /// Nodes the document stands for so far, aliases counted at their expanded size.
    private var expandedNodes = 0

    /// The input, for turning libyaml's byte offsets (reader errors) into line and column.
    let bytes: [UInt8]

    init(file: String, limits: YAMLLimits, bytes: [UInt8]) {
        self.file = file
        self.limits = limits
        self.bytes = bytes
    }

    /// Line and column of a byte offset, counting columns in Unicode scalars. O(offset).
    private func location(ofByte offset: Int) -> SourceLocation {
        var line = 1, column = 1
        for byte in bytes.prefix(max(0, min(offset, bytes.count))) {
            if byte == 0x0A { line += 1; column = 1 } else if byte & 0xC0 != 0x80 { column += 1 }
        }
        return SourceLocation(file: file, line: line, column: column)
    }

    mutating func run(_ buffer: UnsafeBufferPointer<UInt8>) -> Result<YAMLNode?, DiagnosticError> {
        var parser = yaml_parser_t()
        guard yaml_parser_initialize(&parser) == 1 else {
            return .failure(.error(YAMLFailure.parserUnavailable, "libyaml could not initialise a parser (out of memory)", at: .startOf(file)))
        }
        defer { yaml_parser_delete(&parser) }
        if let base = buffer.baseAddress {
            yaml_parser_set_input_string(&parser, base, buffer.count)
        } else {
            return .success(nil)
        }
        while true {
            var event = yaml_event_t()
            guard yaml_parser_parse(&parser, &event) == 1 else {
                return .failure(syntaxError(parser))
            }
            defer { yaml_event_delete(&event) }
            if event.type == YAML_STREAM_END_EVENT { break }
            do {
                try handle(event)
            } catch {
                return .failure(error)
            }
        }
        return .success(root)
    }

    private func location(_ mark: yaml_mark_t) -> SourceLocation {
        SourceLocation(file: file, line: Int(mark.line) + 1, column: Int(mark.column) + 1)
    }

    private func syntaxError(_ parser: yaml_parser_t) -> DiagnosticError {
        let problem = parser.problem.map { String(cString: $0) } ?? "malformed YAML"
        var notes: [Diagnostic] = []
        if let context = parser.context {
            notes.append(.note(String(cString: context), at: location(parser.context_mark)))
        }
        let kind: String
        switch parser.error {
        case YAML_READER_ERROR: kind = "cannot read input"
        case YAML_SCANNER_ERROR: kind = "YAML syntax error"
        case YAML_PARSER_ERROR: kind = "YAML structure error"
        case YAML_MEMORY_ERROR: kind = "out of memory while parsing YAML"
        default: kind = "YAML error"
        }
        let at = parser.error == YAML_READER_ERROR ? location(ofByte: Int(parser.problem_offset)) : location(parser.problem_mark)
        return .error(YAMLFailure.syntax, "\(kind): \(problem)", at: at, notes: notes)
    }

    private static func string(_ pointer: UnsafeMutablePointer<yaml_char_t>?) -> String? {
        guard let pointer else { return nil }
        return String(cString: UnsafeRawPointer(pointer).assumingMemoryBound(to: CChar.self))
    }

    private mutating func countNodes(_ count: Int, at location: SourceLocation, what: String) throws(DiagnosticError) {
        expandedNodes += count
        if expandedNodes > limits.maxNodes {
            throw .error(YAMLFailure.aliasLimit, "\(what) makes the document stand for more than \(Units.grouped(limits.maxNodes)) nodes; aliases are not expanded past this limit",
                         at: location)
        }
    }

    private mutating func handle(_ event: yaml_event_t) throws(DiagnosticError) {
        let start = location(event.start_mark)
        switch event.type {
        case YAML_STREAM_START_EVENT, YAML_DOCUMENT_END_EVENT:
            return
        case YAML_DOCUMENT_START_EVENT:
            documents += 1
            if documents > 1 {
                throw .error(YAMLFailure.secondDocument, "a second YAML document; WaferMap files hold exactly one", at: start)
            }
        case YAML_SCALAR_EVENT:
            let scalar = event.data.scalar
            if scalar.length > limits.maxScalarBytes {
                throw .error(YAMLFailure.scalarTooLarge, "scalar of \(Units.grouped(Int(scalar.length))) bytes exceeds the limit of \(Units.grouped(limits.maxScalarBytes))", at: start)
            }
            let text: String
            if let value = scalar.value {
                text = String(decoding: UnsafeBufferPointer(start: value, count: Int(scalar.length)), as: UTF8.self)
            } else {
                text = ""
            }
            let style: YAMLNode.ScalarStyle = scalar.style == YAML_PLAIN_SCALAR_STYLE ? .plain : .quoted
            try refuseTag(scalar.tag, at: start)
            let node = YAMLNode(kind: .scalar(text, style), location: start)
            try countNodes(1, at: start, what: "this scalar")
            if let anchor = Self.string(scalar.anchor) { anchors[anchor] = (node, 1) }
            try emit(node, size: 1)
        case YAML_ALIAS_EVENT:
            let name = Self.string(event.data.alias.anchor) ?? ""
            guard let target = anchors[name] else {
                throw .error(YAMLFailure.undefinedAlias, "alias '*\(name)' refers to no anchor defined before it", at: start)
            }
            try countNodes(target.size, at: start, what: "alias '*\(name)'")
            var node = target.node
            node.location = start
            try emit(node, size: target.size)
        case YAML_SEQUENCE_START_EVENT:
            try push(depthAt: start)
            let data = event.data.sequence_start
            try refuseTag(data.tag, at: start)
            stack.append(Frame(isMapping: false, location: start, anchor: Self.string(data.anchor), size: 1))
            try countNodes(1, at: start, what: "this list")
        case YAML_MAPPING_START_EVENT:
            try push(depthAt: start)
            let data = event.data.mapping_start
            try refuseTag(data.tag, at: start)
            stack.append(Frame(isMapping: true, location: start, anchor: Self.string(data.anchor), size: 1))
            try countNodes(1, at: start, what: "this mapping")
        case YAML_SEQUENCE_END_EVENT:
            guard let frame = stack.popLast(), !frame.isMapping else {
                throw .error(YAMLFailure.invariant, "internal: unbalanced list end from libyaml", at: start)
            }
            let node = YAMLNode(kind: .sequence(frame.items), location: frame.location)
            if let anchor = frame.anchor { anchors[anchor] = (node, frame.size) }
            try emit(node, size: frame.size)
        case YAML_MAPPING_END_EVENT:
            guard let frame = stack.popLast(), frame.isMapping else {
                throw .error(YAMLFailure.invariant, "internal: unbalanced mapping end from libyaml", at: start)
            }
            let (merged, extra) = frame.hasMergeKey ? try applyMerges(frame.pairs) : (frame.pairs, 0)
            let node = YAMLNode(kind: .mapping(merged), location: frame.location)
            if let anchor = frame.anchor { anchors[anchor] = (node, frame.size + extra) }
            try emit(node, size: frame.size + extra)
        default:
            return
        }
    }

    private func push(depthAt location: SourceLocation) throws(DiagnosticError) {
        if stack.count >= limits.maxDepth {
            throw .error(YAMLFailure.tooDeep, "nesting deeper than \(limits.maxDepth) levels", at: location)
        }
    }

    /// Adds a finished node to the list or mapping being built (or makes it the root). O(1)
    /// amortised: the open frame is mutated in place.
    private mutating func emit(_ node: YAMLNode, size: Int) throws(DiagnosticError) {
        guard !stack.isEmpty else {
            root = node
            return
        }
        let top = stack.count - 1
        stack[top].size += size
        guard stack[top].isMapping else {
            stack[top].items.append(node)
            return
        }
        if let key = stack[top].pendingKey {
            stack[top].pairs.append(YAMLPair(key: key, value: node))
            stack[top].pendingKey = nil
            return
        }
        if isMergeKey(node) {
            stack[top].hasMergeKey = true
        } else if let text = node.scalarText {
            if let first = stack[top].keyLocations[text] {
                throw .error(YAMLFailure.duplicateKey, "duplicate key \(Diagnostic.quoted(text))", at: node.location,
                             notes: [.note("first defined here", at: first)])
            }
            stack[top].keyLocations[text] = node.location
        }
        stack[top].pendingKey = node
    }

    /// WaferMap documents are untyped YAML: an explicit tag (`!!str`, `!!binary`, `!foo`) would
    /// change what a value means, so every tag is refused where it is written
    /// (docs/model-format.md). libyaml reports the tag resolved (`tag:yaml.org,2002:str`); the
    /// message shows it as written in the short form.
    private func refuseTag(_ pointer: UnsafeMutablePointer<yaml_char_t>?, at location: SourceLocation) throws(DiagnosticError) {
        guard let tag = Self.string(pointer) else { return }
        let core = "tag:yaml.org,2002:"
        let shown = tag.hasPrefix(core) ? "!!" + tag.dropFirst(core.count) : tag
        throw .error(YAMLFailure.tag, "YAML tag \(Diagnostic.quoted(shown)) is not supported; WaferMap files are plain YAML without tags (write the value untagged)",
                     at: location)
    }

    private func isMergeKey(_ node: YAMLNode) -> Bool {
        if case .scalar("<<", .plain) = node.kind { return true }
        return false
    }

    /// Applies YAML merge keys (`<<: *base` or `<<: [*a, *b]`): keys written in the mapping win,
    /// then earlier merge sources over later ones. Returns the pairs and how many nodes merging added.
    private mutating func applyMerges(_ pairs: [YAMLPair]) throws(DiagnosticError) -> ([YAMLPair], Int) {
        guard pairs.contains(where: { isMergeKey($0.key) }) else { return (pairs, 0) }
        var result = pairs.filter { !isMergeKey($0.key) }
        var present = Set(result.compactMap { $0.key.scalarText })
        var added = 0
        for pair in pairs where isMergeKey(pair.key) {
            let sources: [YAMLNode]
            switch pair.value.kind {
            case .mapping: sources = [pair.value]
            case let .sequence(items): sources = items
            case .scalar:
                throw .error(YAMLFailure.mergeKey, "merge key '<<' needs a mapping or a list of mappings, found \(pair.value.summary)", at: pair.value.location)
            }
            var addedHere = 0
            for source in sources {
                guard case let .mapping(sourcePairs) = source.kind else {
                    throw .error(YAMLFailure.mergeKey, "merge key '<<' needs mappings, found \(source.summary)", at: source.location)
                }
                for sourcePair in sourcePairs {
                    guard let key = sourcePair.key.scalarText, !present.contains(key) else { continue }
                    present.insert(key)
                    result.append(sourcePair)
                    addedHere += 2
                }
            }
            try countNodes(addedHere, at: pair.key.location, what: "this merge key")
            added += addedHere
        }
        return (result, added)
    }
}
