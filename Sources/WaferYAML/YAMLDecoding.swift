import WaferSupport

/// Typed, located access to YAML scalars. Every failure names the key and the place.
extension YAMLNode {
    /// The node as a string scalar. Control characters other than tab and newline (a NUL, an
    /// escape sequence written as `"\\e"` or `"\\x1b"`) are refused: they would reach the
    /// terminal or a report raw. O(length).
    public func string(_ what: String) throws(DiagnosticError) -> String {
        guard case let .scalar(text, _) = kind, !isNull else {
            throw .error(YAMLFailure.notString, "expected a string for \(what), found \(summary)", at: location)
        }
        if let bad = text.unicodeScalars.first(where: { $0 != "\t" && $0 != "\n" && Self.isControl($0) }) {
            throw .error(YAMLFailure.controlCharacter, "\(what) contains the control character U+\(Self.hex(bad)); text may not hold control characters", at: location)
        }
        return text
    }

    /// The node as a name (of a model, layer, module or target): a string with no control
    /// characters at all, not even tab or newline, and no bidirectional formatting characters
    /// (U+202A to U+202E, U+2066 to U+2069, which reorder what a terminal shows after them),
    /// since names are printed in tables and messages. O(length).
    public func name(_ what: String) throws(DiagnosticError) -> String {
        let text = try string(what)
        if let bad = text.unicodeScalars.first(where: Self.isControl) {
            throw .error(YAMLFailure.controlCharacter, "\(what) contains the control character U+\(Self.hex(bad)); names may not hold control characters", at: location)
        }
        if let bad = text.unicodeScalars.first(where: Self.isBidiFormatting) {
            throw .error(YAMLFailure.bidiCharacter, "\(what) contains the bidirectional formatting character U+\(Self.hex(bad)); names may not reorder the text printed after them", at: location)
        }
        return text
    }

    /// Embeddings, overrides and isolates of the Unicode bidirectional algorithm (UAX #9).
    static func isBidiFormatting(_ scalar: Unicode.Scalar) -> Bool {
        (0x202A...0x202E).contains(scalar.value) || (0x2066...0x2069).contains(scalar.value)
    }

    /// C0 controls, DEL and C1 controls (Unicode general category Cc).
    static func isControl(_ scalar: Unicode.Scalar) -> Bool {
        scalar.value < 0x20 || (0x7F...0x9F).contains(scalar.value)
    }

    static func hex(_ scalar: Unicode.Scalar) -> String {
        let digits = String(scalar.value, radix: 16, uppercase: true)
        return String(repeating: "0", count: max(0, 4 - digits.count)) + digits
    }

    /// The node as an integer in `range`. Accepts decimal digits with optional `_` separators
    /// (`163_840`); rejects floats, signs on unsigned quantities, and values outside the range.
    public func integer(_ what: String, in range: ClosedRange<Int>) throws(DiagnosticError) -> Int {
        guard case let .scalar(raw, style) = kind, !isNull else {
            throw .error(YAMLFailure.notInteger, "expected an integer for \(what), found \(summary)", at: location)
        }
        if style == .quoted && tag != "!!int" {
            throw .error(YAMLFailure.notInteger, "expected an integer for \(what), found the quoted string '\(raw)'", at: location)
        }
        var text = Substring(raw)
        var negative = false
        if text.first == "-" || text.first == "+" {
            negative = text.first == "-"
            text = text.dropFirst()
        }
        let digits = text.filter { $0 != "_" }
        guard !digits.isEmpty, !text.hasPrefix("_"), digits.allSatisfy({ $0.isASCII && $0.isNumber }) else {
            if Double(raw) != nil {
                throw .error(YAMLFailure.notInteger, "expected an integer for \(what), found the number \(raw)", at: location)
            }
            throw .error(YAMLFailure.notInteger, "expected an integer for \(what), found \(summary)", at: location)
        }
        guard var value = Int(digits) else {
            throw .error(YAMLFailure.integerOverflow, "\(what) is too large: \(raw) does not fit in 64 bits", at: location)
        }
        if negative { value = -value }
        if value < range.lowerBound {
            throw .error(YAMLFailure.outOfRange, "\(what) must be at least \(Units.grouped(range.lowerBound)), got \(raw)", at: location)
        }
        if value > range.upperBound {
            throw .error(YAMLFailure.outOfRange, "\(what) of \(raw) exceeds the limit of \(Units.grouped(range.upperBound))", at: location)
        }
        return value
    }

    /// The node as a finite decimal number in `range` (`1100`, `0.001`, `1.5e-3`).
    public func number(_ what: String, in range: ClosedRange<Double>) throws(DiagnosticError) -> Double {
        guard case let .scalar(raw, style) = kind, !isNull, style == .plain else {
            throw .error(YAMLFailure.notNumber, "expected a number for \(what), found \(summary)", at: location)
        }
        let text = raw.filter { $0 != "_" }
        guard let value = Double(text), value.isFinite, text.allSatisfy({ $0.isASCII && ($0.isNumber || "+-.eE".contains($0)) }) else {
            throw .error(YAMLFailure.notNumber, "expected a number for \(what), found \(summary)", at: location)
        }
        guard range.contains(value) else {
            throw .error(YAMLFailure.outOfRange, "\(what) must be between \(range.lowerBound) and \(range.upperBound), got \(raw)", at: location)
        }
        return value
    }

    /// The node as a boolean: `true` or `false` (any capitalisation WaferMap documents:
    /// true/True/TRUE, false/False/FALSE). YAML 1.1's yes/no/on/off are refused as ambiguous.
    public func bool(_ what: String) throws(DiagnosticError) -> Bool {
        if case let .scalar(text, .plain) = kind {
            switch text {
            case "true", "True", "TRUE": return true
            case "false", "False", "FALSE": return false
            default: break
            }
        }
        throw .error(YAMLFailure.notBool, "expected true or false for \(what), found \(summary)", at: location)
    }

    /// The node's list items.
    public func list(_ what: String) throws(DiagnosticError) -> [YAMLNode] {
        guard case let .sequence(items) = kind else {
            throw .error(YAMLFailure.notList, "expected a list for \(what), found \(summary)", at: location)
        }
        return items
    }
}

/// Reads a YAML mapping key by key and reports every key nobody asked for.
///
/// Usage: create, take keys with `required`/`optional`, then call `finish()` which throws an
/// "unknown key" error (with a did-you-mean note) for the first key that was not taken.
public struct MappingReader {
    public let node: YAMLNode
    /// What the mapping is, for messages: "layer 'attention'", "the model".
    public var context: String
    private var entries: [(key: String, pair: YAMLPair)] = []
    private var known: [String] = []

    public init(_ node: YAMLNode, context: String) throws(DiagnosticError) {
        guard case let .mapping(pairs) = node.kind else {
            throw .error(YAMLFailure.notMapping, "expected a mapping for \(context), found \(node.summary)", at: node.location)
        }
        self.node = node
        self.context = context
        for pair in pairs {
            guard case let .scalar(key, _) = pair.key.kind else {
                throw .error(YAMLFailure.keyNotName, "keys of \(context) must be plain names, found \(pair.key.summary)", at: pair.key.location)
            }
            entries.append((key, pair))
        }
    }

    /// The keys present, in document order.
    public var keys: [String] { entries.map(\.key) }

    public func has(_ key: String) -> Bool { entries.contains { $0.key == key } }

    /// Marks `key` as understood and returns its value, if present.
    public mutating func optional(_ key: String) -> YAMLNode? {
        known.append(key)
        return entries.first { $0.key == key }?.pair.value
    }

    /// Marks `key` as understood and returns its value; a missing key is an error at the mapping.
    public mutating func required(_ key: String) throws(DiagnosticError) -> YAMLNode {
        guard let value = optional(key) else {
            // A missing key is often a misspelt one: point at the misspelling instead.
            for entry in entries where !known.contains(entry.key) {
                if Suggest.closest(to: entry.key, in: [key]) != nil {
                    throw .error(YAMLFailure.unknownKey, "unknown key '\(entry.key)' in \(context)", at: entry.pair.key.location,
                                 notes: [.note("did you mean '\(key)'? \(context) requires it", at: entry.pair.key.location)])
                }
            }
            throw .error(YAMLFailure.missingKey, "\(context) is missing the required key '\(key)'", at: node.location)
        }
        return value
    }

    /// The location of `key`'s key node (for errors about the key itself).
    public func keyLocation(_ key: String) -> SourceLocation? {
        entries.first { $0.key == key }?.pair.key.location
    }

    /// Declares keys that are understood without being read (documentation-only keys).
    public mutating func allow(_ keys: [String]) { known.append(contentsOf: keys) }

    /// Throws for the first key that no `optional`/`required`/`allow` call named.
    public func finish() throws(DiagnosticError) {
        for entry in entries where !known.contains(entry.key) {
            var notes: [Diagnostic] = []
            if let suggestion = Suggest.closest(to: entry.key, in: known) {
                notes.append(.note("did you mean '\(suggestion)'?", at: entry.pair.key.location))
            } else {
                notes.append(.note("valid keys here: \(known.sorted().joined(separator: ", "))", at: nil))
            }
            throw .error(YAMLFailure.unknownKey, "unknown key '\(entry.key)' in \(context)", at: entry.pair.key.location, notes: notes)
        }
    }
}
