import WaferSupport

/// Identifies an SSA value of a graph: an index into `Graph.values`.
public struct ValueID: Hashable, Sendable, Comparable, CustomStringConvertible {
    public var index: Int
    public init(_ index: Int) { self.index = index }
    public var description: String { "%\(index)" }
    public static func < (a: ValueID, b: ValueID) -> Bool { a.index < b.index }
}

/// What flows between ops for one token of decode.
public enum ValueType: Hashable, Sendable, CustomStringConvertible {
    /// Token ids entering the model (one per sequence in the batch).
    case tokens
    /// A vector of `width` elements: a hidden state or the logits.
    case vector(width: Int, element: ElementType)

    public var description: String {
        switch self {
        case .tokens: return "tokens"
        case let .vector(width, element): return "\(element.rawValue)[\(width)]"
        }
    }

    public var width: Int? {
        if case let .vector(width, _) = self { return width }
        return nil
    }
}

/// An activation: produced by exactly one op (or the graph input) and consumed by later ops.
public struct Value: Hashable, Sendable {
    public var id: ValueID
    public var type: ValueType
    public init(id: ValueID, type: ValueType) {
        self.id = id
        self.type = type
    }
}
