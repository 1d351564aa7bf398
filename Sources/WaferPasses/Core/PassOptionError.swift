import WaferSupport

/// Why a pass option could not be set: one case per failure. `diagnostic(at:)` renders it with
/// its did-you-mean note and the place it came from (a flag, or a file's line and column).
public enum PassOptionError: Error, Sendable, Hashable {
    /// `--pass-option` text without `=` (or with an empty key).
    case malformed(String)
    /// A section no algorithm has (`rout.max-iterations`), with the nearest section or key.
    case unknownSection(key: String, suggestion: String?)
    /// A knob its section does not have, with the nearest knob and the section's knobs.
    case unknownKnob(key: String, suggestion: String?, known: [String])
    /// A value that is not of the knob's type (`place.steps=many`).
    case wrongType(key: String, value: String, expected: String)
    /// A value of the right type outside the knob's range.
    case outOfRange(key: String, value: String, range: String)
    /// A cross-knob rule broken (`place.accept-mid` above `place.accept-high`).
    case inconsistent(String)

    /// The failure's case in the passes' catalogue (docs/diagnostics.md): its ID and exit status.
    public var kind: PassFailure {
        switch self {
        case .malformed: return .optionMalformed
        case .unknownSection: return .optionUnknownSection
        case .unknownKnob: return .optionUnknownKnob
        case .wrongType: return .optionType
        case .outOfRange: return .optionRange
        case .inconsistent: return .optionInconsistent
        }
    }

    /// The message, with notes: the nearest name, the valid names, the range. `source` says where
    /// the setting came from (`--pass-option`, or nothing when `location` names a file).
    public func diagnostic(at location: SourceLocation?, source: String = "--pass-option") -> Diagnostic {
        let prefix = location == nil ? "\(source): " : ""
        var notes: [Diagnostic] = []
        let message: String
        switch self {
        case let .malformed(text):
            message = "expected SECTION.KNOB=VALUE, got \(Diagnostic.quoted(text))"
            notes.append(.note("sections: \(PassOptions.sections.joined(separator: ", ")); `wafermap pass-options` lists every knob"))
        case let .unknownSection(key, suggestion):
            message = "unknown pass option \(Diagnostic.quoted(key))"
            if let suggestion { notes.append(.note("did you mean '\(suggestion)'?")) }
            notes.append(.note("sections: \(PassOptions.sections.joined(separator: ", ")); `wafermap pass-options` lists every knob"))
        case let .unknownKnob(key, suggestion, known):
            message = "unknown pass option \(Diagnostic.quoted(key))"
            if let suggestion { notes.append(.note("did you mean '\(suggestion)'?")) }
            notes.append(.note("knobs of this section: \(known.joined(separator: ", "))"))
        case let .wrongType(key, value, expected):
            message = "\(key) takes \(expected == "integer" ? "an integer" : expected == "number" ? "a number" : "a comma-separated integer list"), not \(Diagnostic.quoted(value))"
        case let .outOfRange(key, value, range):
            message = "\(key)=\(value) is out of range"
            notes.append(.note("\(key) takes \(range)"))
        case let .inconsistent(rule):
            message = rule
        }
        return Diagnostic(.error, kind, prefix + message, at: location, notes: notes)
    }
}
