import WaferSupport

/// A YAML node with the place it came from. Value type; aliases share storage copy-on-write.
public struct YAMLNode: Sendable {
    public enum ScalarStyle: Sendable, Hashable {
        /// Unquoted: subject to type resolution (`12` is an integer, `true` a boolean).
        case plain
        /// Single- or double-quoted, literal or folded: always a string.
        case quoted
    }

    public enum Kind: Sendable {
        case scalar(String, ScalarStyle)
        case sequence([YAMLNode])
        case mapping([YAMLPair])
    }

    public var kind: Kind
    public var location: SourceLocation
    /// An explicit tag such as `!!str`. Always nil in trees from `YAMLReader`, which refuses
    /// tags (docs/model-format.md); kept for nodes built in code.
    public var tag: String?

    public init(kind: Kind, location: SourceLocation, tag: String? = nil) {
        self.kind = kind
        self.location = location
        self.tag = tag
    }

    /// What kind of node this is, in words, for messages: "a mapping", "a list", "'abc'".
    public var summary: String {
        switch kind {
        case let .scalar(text, style):
            if style == .plain && YAMLNode.nullWords.contains(text) { return "null" }
            let shown = text.count > 40 ? String(text.prefix(37)) + "..." : text
            return "'\(shown)'"
        case .sequence: return "a list"
        case .mapping: return "a mapping"
        }
    }

    static let nullWords: Set<String> = ["", "~", "null", "Null", "NULL"]

    /// The scalar text, when this is a scalar.
    public var scalarText: String? {
        if case let .scalar(text, _) = kind { return text }
        return nil
    }

    /// True for a plain `null`, `~` or empty scalar.
    public var isNull: Bool {
        if case let .scalar(text, .plain) = kind { return YAMLNode.nullWords.contains(text) && tag == nil }
        return false
    }
}

/// One key/value entry of a mapping, in document order.
public struct YAMLPair: Sendable {
    public var key: YAMLNode
    public var value: YAMLNode

    public init(key: YAMLNode, value: YAMLNode) {
        self.key = key
        self.value = value
    }
}
