import WaferSupport
import WaferYAML

/// A located, read-only view of one JSON object of a Hugging Face `config.json`.
///
/// libyaml reads the file (JSON is a subset of the YAML flow syntax it parses), so every value
/// keeps its line and column. Unlike the model format's `MappingReader`, unknown keys are
/// fine here: configs carry dozens of fields (rope scaling, token ids) that sizing ignores.
/// A field that is absent and a field that is `null` both count as "not given".
public struct ConfigObject {
    public let node: YAMLNode
    /// Where this object sits, for messages: "" for the top level, "text_config." inside it.
    public let path: String
    private let fields: [String: YAMLNode]

    public init(_ node: YAMLNode, path: String = "") throws(DiagnosticError) {
        guard case let .mapping(pairs) = node.kind else {
            let what = path.isEmpty ? "a config.json" : "'\(path.dropLast())'"
            throw .error("expected a JSON object for \(what), found \(node.summary)", at: node.location)
        }
        var fields: [String: YAMLNode] = [:]
        for pair in pairs {
            if case let .scalar(key, _) = pair.key.kind { fields[key] = pair.value }
        }
        self.node = node
        self.path = path
        self.fields = fields
    }

    public var location: SourceLocation { node.location }

    /// The value of `key` unless it is absent or `null`.
    public func value(_ key: String) -> YAMLNode? {
        guard let value = fields[key], !value.isNull else { return nil }
        return value
    }

    public func has(_ key: String) -> Bool { value(key) != nil }

    /// Where `key`'s value is, or where this object starts when the key is absent.
    public func location(of key: String) -> SourceLocation { fields[key]?.location ?? node.location }

    func missing(_ key: String, _ why: String) -> DiagnosticError {
        .error("missing field '\(path)\(key)' (\(why))", at: node.location)
    }

    /// A required non-negative integer field.
    public func int(_ key: String, in range: ClosedRange<Int>, why: String) throws(DiagnosticError) -> Int {
        guard let node = value(key) else { throw missing(key, why) }
        return try node.integer("'\(path)\(key)'", in: range)
    }

    /// An optional integer field: nil when absent or null.
    public func optionalInt(_ key: String, in range: ClosedRange<Int>) throws(DiagnosticError) -> Int? {
        guard let node = value(key) else { return nil }
        return try node.integer("'\(path)\(key)'", in: range)
    }

    public func optionalBool(_ key: String) throws(DiagnosticError) -> Bool? {
        guard let node = value(key) else { return nil }
        return try node.bool("'\(path)\(key)'")
    }

    public func optionalString(_ key: String) throws(DiagnosticError) -> String? {
        guard let node = value(key) else { return nil }
        return try node.string("'\(path)\(key)'")
    }

    public func string(_ key: String, why: String) throws(DiagnosticError) -> String {
        guard let node = value(key) else { throw missing(key, why) }
        return try node.string("'\(path)\(key)'")
    }

    /// A list of scalar strings (`architectures`, `layer_types`, ignore lists).
    public func optionalStrings(_ key: String) throws(DiagnosticError) -> [(String, SourceLocation)]? {
        guard let node = value(key) else { return nil }
        var result: [(String, SourceLocation)] = []
        for item in try node.list("'\(path)\(key)'") {
            result.append((try item.string("an entry of '\(path)\(key)'"), item.location))
        }
        return result
    }

    /// A list of integers (`mlp_only_layers`, `weight_block_size`).
    public func optionalInts(_ key: String, in range: ClosedRange<Int>) throws(DiagnosticError) -> [Int]? {
        guard let node = value(key) else { return nil }
        var result: [Int] = []
        for item in try node.list("'\(path)\(key)'") {
            result.append(try item.integer("an entry of '\(path)\(key)'", in: range))
        }
        return result
    }

    /// A nested object, or nil when absent or null.
    public func object(_ key: String) throws(DiagnosticError) -> ConfigObject? {
        guard let node = value(key) else { return nil }
        return try ConfigObject(node, path: path + key + ".")
    }
}

/// libyaml reads JSON as YAML flow syntax, which also admits things JSON does not: unquoted
/// strings, empty values (`"a": }`), unquoted keys. This walk rejects them so a broken
/// config.json fails at the broken value instead of reading as `null`. O(nodes).
enum JSONSyntaxCheck {
    static func check(_ node: YAMLNode) throws(DiagnosticError) {
        switch node.kind {
        case let .scalar(text, style):
            guard style == .plain else { return }
            if text == "true" || text == "false" || text == "null" || isNumber(text) { return }
            if text.isEmpty { throw .error("expected a JSON value here", at: node.location) }
            throw .error("'\(text.prefix(40))' is not JSON: strings are double-quoted; values are numbers, true, false or null", at: node.location)
        case let .sequence(items):
            for item in items { try check(item) }
        case let .mapping(pairs):
            for pair in pairs {
                if case .scalar(_, .plain) = pair.key.kind {
                    throw .error("JSON object keys are double-quoted strings", at: pair.key.location)
                }
                try check(pair.value)
            }
        }
    }

    /// JSON's number grammar: -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?
    static func isNumber(_ text: String) -> Bool {
        var chars = Array(text.utf8)[...]
        if chars.first == UInt8(ascii: "-") { chars = chars.dropFirst() }
        func digits() -> Int {
            var n = 0
            while let c = chars.first, c >= UInt8(ascii: "0"), c <= UInt8(ascii: "9") { chars = chars.dropFirst(); n += 1 }
            return n
        }
        let whole = chars.first
        let integerDigits = digits()
        if integerDigits == 0 || (integerDigits > 1 && whole == UInt8(ascii: "0")) { return false }
        if chars.first == UInt8(ascii: ".") {
            chars = chars.dropFirst()
            if digits() == 0 { return false }
        }
        if chars.first == UInt8(ascii: "e") || chars.first == UInt8(ascii: "E") {
            chars = chars.dropFirst()
            if chars.first == UInt8(ascii: "+") || chars.first == UInt8(ascii: "-") { chars = chars.dropFirst() }
            if digits() == 0 { return false }
        }
        return chars.isEmpty
    }
}
