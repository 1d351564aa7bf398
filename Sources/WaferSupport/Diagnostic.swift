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
        self.message = message
        self.notes = notes
        self.code = code
    }

    public static func error(_ message: String, at location: SourceLocation?, notes: [Diagnostic] = []) -> Diagnostic {
        Diagnostic(.error, message, at: location, notes: notes)
    }

    public static func note(_ message: String, at location: SourceLocation? = nil) -> Diagnostic {
        Diagnostic(.note, message, at: location)
    }

    /// The diagnostic and its notes, one per line, without a trailing newline.
    public var description: String {
        var lines: [String] = []
        let prefix = location.map { "\($0): " } ?? (severity == .note ? "" : "wafermap: ")
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
