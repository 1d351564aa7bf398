import WaferSupport
import WaferYAML

/// A located, read-only view of one JSON object of a Hugging Face `config.json`.
///
/// `ConfigJSON` reads the file (strict JSON) into located nodes, so every value keeps its line
/// and column. Unlike the model format's `MappingReader`, unknown keys are fine here: configs
/// carry dozens of fields (rope scaling, token ids) that sizing ignores. A field that is absent
/// and a field that is `null` both count as "not given". A value of the wrong JSON type (a
/// string where a number belongs, an array where an object belongs) is a type error at the
/// value, in JSON's words.
public struct ConfigObject {
    public let node: YAMLNode
    /// Where this object sits, for messages: "" for the top level, "text_config." inside it.
    public let path: String
    private let fields: [String: YAMLNode]

    public init(_ node: YAMLNode, path: String = "") throws(DiagnosticError) {
        guard case let .mapping(pairs) = node.kind else {
            let what = path.isEmpty ? "a config.json" : "'\(path.dropLast())'"
            throw .error(ConfigFailure.wrongType, "expected a JSON object for \(what), found \(ConfigObject.describe(node))", at: node.location)
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
        .error(ConfigFailure.missingField, "missing field '\(path)\(key)' (\(why))", at: node.location)
    }

    /// A required non-negative integer field.
    public func int(_ key: String, in range: ClosedRange<Int>, why: String) throws(DiagnosticError) -> Int {
        guard let node = value(key) else { throw missing(key, why) }
        return try ConfigObject.integer(node, "'\(path)\(key)'", in: range)
    }

    /// An optional integer field: nil when absent or null.
    public func optionalInt(_ key: String, in range: ClosedRange<Int>) throws(DiagnosticError) -> Int? {
        guard let node = value(key) else { return nil }
        return try ConfigObject.integer(node, "'\(path)\(key)'", in: range)
    }

    public func optionalBool(_ key: String) throws(DiagnosticError) -> Bool? {
        guard let node = value(key) else { return nil }
        return try ConfigObject.bool(node, "'\(path)\(key)'")
    }

    public func optionalString(_ key: String) throws(DiagnosticError) -> String? {
        guard let node = value(key) else { return nil }
        return try ConfigObject.string(node, "'\(path)\(key)'")
    }

    public func string(_ key: String, why: String) throws(DiagnosticError) -> String {
        guard let node = value(key) else { throw missing(key, why) }
        return try ConfigObject.string(node, "'\(path)\(key)'")
    }

    /// A list of scalar strings (`architectures`, `layer_types`, ignore lists).
    public func optionalStrings(_ key: String) throws(DiagnosticError) -> [(String, SourceLocation)]? {
        guard let node = value(key) else { return nil }
        var result: [(String, SourceLocation)] = []
        for item in try ConfigObject.list(node, "'\(path)\(key)'") {
            result.append((try ConfigObject.string(item, "an entry of '\(path)\(key)'"), item.location))
        }
        return result
    }

    /// A list of integers (`mlp_only_layers`, `weight_block_size`).
    public func optionalInts(_ key: String, in range: ClosedRange<Int>) throws(DiagnosticError) -> [Int]? {
        guard let node = value(key) else { return nil }
        var result: [Int] = []
        for item in try ConfigObject.list(node, "'\(path)\(key)'") {
            result.append(try ConfigObject.integer(item, "an entry of '\(path)\(key)'", in: range))
        }
        return result
    }

    /// A nested object, or nil when absent or null.
    public func object(_ key: String) throws(DiagnosticError) -> ConfigObject? {
        guard let node = value(key) else { return nil }
        return try ConfigObject(node, path: path + key + ".")
    }
}

// MARK: JSON-typed reads
//
// The nodes come from `ConfigJSON`: strings are quoted scalars; numbers, true, false and null
// are plain scalars. These checks make a value of the wrong JSON type an error in JSON's words
// ("found an array", "found the number 5") at the value, before the scalar decoders run.
extension ConfigObject {
    /// A value in words: "an object", "an array", "the string 'abc'", "the number 5", "true", "null".
    static func describe(_ node: YAMLNode) -> String {
        switch node.kind {
        case .mapping: return "an object"
        case .sequence: return "an array"
        case let .scalar(text, .quoted):
            return "the string '\(text.count > 40 ? String(text.prefix(37)) + "..." : text)'"
        case let .scalar(text, .plain):
            return text == "true" || text == "false" || text == "null" ? text : "the number \(text)"
        }
    }

    static func integer(_ node: YAMLNode, _ what: String, in range: ClosedRange<Int>) throws(DiagnosticError) -> Int {
        guard case .scalar = node.kind else {
            throw .error(ConfigFailure.wrongType, "expected an integer for \(what), found \(describe(node))", at: node.location)
        }
        if case let .scalar(text, .plain) = node.kind, text == "true" || text == "false" {
            throw .error(ConfigFailure.wrongType, "expected an integer for \(what), found \(text)", at: node.location)
        }
        return try node.integer(what, in: range)
    }

    static func string(_ node: YAMLNode, _ what: String) throws(DiagnosticError) -> String {
        guard case let .scalar(text, .quoted) = node.kind else {
            throw .error(ConfigFailure.wrongType, "expected a string for \(what), found \(describe(node))", at: node.location)
        }
        return text
    }

    static func bool(_ node: YAMLNode, _ what: String) throws(DiagnosticError) -> Bool {
        guard case let .scalar(text, .plain) = node.kind, text == "true" || text == "false" else {
            throw .error(ConfigFailure.wrongType, "expected true or false for \(what), found \(describe(node))", at: node.location)
        }
        return text == "true"
    }

    static func list(_ node: YAMLNode, _ what: String) throws(DiagnosticError) -> [YAMLNode] {
        guard case let .sequence(items) = node.kind else {
            throw .error(ConfigFailure.wrongType, "expected an array for \(what), found \(describe(node))", at: node.location)
        }
        return items
    }
}
