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
    /// Which failure this is (docs/diagnostics.md); every error has one, warnings and notes may.
    /// Callers act on it (`error.contains(PassFailure.tileCapacity)`) and the exit status
    /// derives from it, never from the message text.
    public var id: DiagnosticID?

    /// An error, warning or note of the failure `kind`.
    public init(_ severity: Severity, _ kind: some DiagnosticKind, _ message: String, at location: SourceLocation?, notes: [Diagnostic] = []) {
        self.init(severity, message, at: location, notes: notes, id: DiagnosticID(kind))
    }

    /// The one unchecked initializer: `id` may be nil, so it stays inside WaferSupport; errors
    /// elsewhere are built from a kind.
    init(_ severity: Severity, _ message: String, at location: SourceLocation?, notes: [Diagnostic] = [], id: DiagnosticID?) {
        self.severity = severity
        self.location = location
        self.message = Diagnostic.bounded(message)
        self.notes = notes
        self.id = id
    }

    /// An error of the failure `kind`.
    public static func error(_ kind: some DiagnosticKind, _ message: String, at location: SourceLocation?, notes: [Diagnostic] = []) -> Diagnostic {
        Diagnostic(.error, kind, message, at: location, notes: notes)
    }

    /// A warning without an ID: nothing acts on warnings, and they never change the exit status.
    public static func warning(_ message: String, at location: SourceLocation?, notes: [Diagnostic] = []) -> Diagnostic {
        Diagnostic(.warning, message, at: location, notes: notes, id: nil)
    }

    public static func note(_ message: String, at location: SourceLocation? = nil) -> Diagnostic {
        Diagnostic(.note, message, at: location, id: nil)
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
/// One carrier type for every stage, because a stage's errors travel through the next ones
/// (a driver throws the YAML reader's, the passes' and its own) and typed throws name a single
/// type; what a failure *is* lives in each diagnostic's `id`, a case of its stage's
/// `DiagnosticKind` enum (docs/architecture.md, "Errors").
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

    /// One error of the failure `kind`.
    public static func error(_ kind: some DiagnosticKind, _ message: String, at location: SourceLocation?, notes: [Diagnostic] = []) -> DiagnosticError {
        DiagnosticError(.error(kind, message, at: location, notes: notes))
    }

    /// Whether any diagnostic is the failure `kind`: how callers act on a failure (a retry, a
    /// fallback) without reading message text. O(diagnostics).
    public func contains(_ kind: some DiagnosticKind) -> Bool {
        let id = DiagnosticID(kind)
        return diagnostics.contains { $0.id == id }
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

    public mutating func error(_ kind: some DiagnosticKind, _ message: String, at location: SourceLocation?, notes: [Diagnostic] = []) {
        add(Diagnostic.error(kind, message, at: location, notes: notes))
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
