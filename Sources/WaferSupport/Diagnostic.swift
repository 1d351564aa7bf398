/// How bad a diagnostic is.
public enum Severity: String, Sendable, Hashable {
    case error
    case warning
    case note
}

/// One message about an input, with where it happened and optional notes attached to it.
///
/// Rendered as `FILE:LINE:COL: error: MESSAGE`, each note on its own line after it, the way
/// clang and swiftc print them, so editors and CI log parsers can jump to the place.
public struct Diagnostic: Hashable, Sendable, CustomStringConvertible {
    public var severity: Severity
    /// Where the problem is; `nil` only for problems that belong to no file (a bad flag).
    public var location: SourceLocation?
    public var message: String
    public var notes: [Diagnostic]
    /// A stable identifier for diagnostics a caller may act on (e.g. `tile.capacity`); nil for most.
    public var code: String?

    public init(_ severity: Severity, _ message: String, at location: SourceLocation?, notes: [Diagnostic] = [], code: String? = nil) {
        self.severity = severity
        self.location = location
        self.message = Diagnostic.bounded(message)
        self.notes = notes
        self.code = code
    }

    public static func error(_ message: String, at location: SourceLocation?, notes: [Diagnostic] = []) -> Diagnostic {
        Diagnostic(.error, message, at: location, notes: notes)
    }

    public static func note(_ message: String, at location: SourceLocation? = nil) -> Diagnostic {
        Diagnostic(.note, message, at: location)
    }

    /// Longest user text a message quotes, in characters; longer quotes keep their start and an ellipsis.
    public static let maxQuotedCharacters = 200
    /// Longest message, in characters, whatever it quotes.
    public static let maxMessageCharacters = 2000

    /// `text` in single quotes, cut to `maxQuotedCharacters` with an ellipsis, control
    /// characters escaped: the way messages quote names, keys and values from an input. O(length).
    public static func quoted(_ text: String) -> String {
        "'\(escapingControls(text.count > maxQuotedCharacters ? String(text.prefix(maxQuotedCharacters)) + "…" : text))'"
    }

    /// A message as it is stored and printed: every single-quoted run longer than
    /// `maxQuotedCharacters` cut to that with an ellipsis, control characters other than newline
    /// shown as `\u{..}` escapes (a NUL or an escape sequence from an input never reaches the
    /// terminal raw), and the whole cut to `maxMessageCharacters`. Every diagnostic goes through
    /// it, so a 400 KB key or value cannot make a 400 KB error line. O(length).
    public static func bounded(_ message: String) -> String {
        let needsWork = message.count > maxQuotedCharacters || message.unicodeScalars.contains { isEscaped($0) }
        guard needsWork else { return message }
        var out = ""
        var quote: String?
        var previous: Character = " "
        for character in escapingControls(message) {
            defer { previous = character }
            // An opening quote follows a non-letter (an apostrophe as in "wafer 3's" does not open one).
            if character == "'" && (quote != nil || !(previous.isLetter || previous.isNumber)) {
                if let open = quote {
                    out += open.count > maxQuotedCharacters ? String(open.prefix(maxQuotedCharacters)) + "…" : open
                    out.append("'")
                    quote = nil
                } else {
                    out.append("'")
                    quote = ""
                }
            } else if quote != nil {
                quote?.append(character)
            } else {
                out.append(character)
            }
        }
        if let open = quote {
            out += open.count > maxQuotedCharacters ? String(open.prefix(maxQuotedCharacters)) + "…" : open
        }
        if out.count > maxMessageCharacters {
            let dropped = out.count - maxMessageCharacters
            out = String(out.prefix(maxMessageCharacters)) + "… (\(dropped) more characters)"
        }
        return out
    }

    private static func isEscaped(_ scalar: Unicode.Scalar) -> Bool {
        scalar != "\n" && (scalar.value < 0x20 || (0x7F...0x9F).contains(scalar.value))
    }

    private static func escapingControls(_ text: String) -> String {
        guard text.unicodeScalars.contains(where: isEscaped) else { return text }
        var out = String.UnicodeScalarView()
        for scalar in text.unicodeScalars {
            if isEscaped(scalar) {
                out.append(contentsOf: "\\u{\(String(scalar.value, radix: 16, uppercase: true))}".unicodeScalars)
            } else {
                out.append(scalar)
            }
        }
        return String(out)
    }

    /// The diagnostic and its notes, one per line, without a trailing newline.
    public var description: String {
        var lines: [String] = []
        let prefix = location.map { "\(Self.escapingControls($0.description)): " } ?? (severity == .note ? "" : "wafermap: ")
        lines.append("\(prefix)\(severity.rawValue): \(message)")
        for note in notes {
            lines.append(note.description)
        }
        return lines.joined(separator: "\n")
    }
}

/// The error every stage throws when an input is wrong: one or more located diagnostics.
///
/// Stages collect what they can before throwing, so a user fixes several mistakes per run;
/// the diagnostics are kept in source order so output is deterministic.
public struct DiagnosticError: Error, Sendable, CustomStringConvertible {
    public var diagnostics: [Diagnostic]

    public init(_ diagnostics: [Diagnostic]) {
        self.diagnostics = diagnostics.sorted { lhs, rhs in
            switch (lhs.location, rhs.location) {
            case let (l?, r?): return l < r
            case (nil, _?): return true
            default: return false
            }
        }
    }

    public init(_ diagnostic: Diagnostic) {
        self.diagnostics = [diagnostic]
    }

    public static func error(_ message: String, at location: SourceLocation?, notes: [Diagnostic] = []) -> DiagnosticError {
        DiagnosticError(.error(message, at: location, notes: notes))
    }

    public var description: String {
        diagnostics.map(\.description).joined(separator: "\n")
    }
}

/// Collects diagnostics while a stage keeps going, then throws them all at once.
public struct DiagnosticCollector: Sendable {
    public private(set) var diagnostics: [Diagnostic] = []

    public init() {}

    public var hasErrors: Bool { diagnostics.contains { $0.severity == .error } }

    public mutating func add(_ diagnostic: Diagnostic) { diagnostics.append(diagnostic) }

    public mutating func add(_ error: DiagnosticError) { diagnostics.append(contentsOf: error.diagnostics) }

    public mutating func error(_ message: String, at location: SourceLocation?, notes: [Diagnostic] = []) {
        add(Diagnostic.error(message, at: location, notes: notes))
    }

    /// Runs `body`, recording a thrown `DiagnosticError` instead of propagating it.
    /// Returns the body's value, or nil when it failed.
    public mutating func attempt<T>(_ body: () throws(DiagnosticError) -> T) -> T? {
        do {
            return try body()
        } catch {
            add(error)
            return nil
        }
    }

    /// Throws everything collected if any of it is an error.
    public func check() throws(DiagnosticError) {
        if hasErrors { throw DiagnosticError(diagnostics) }
    }
}
