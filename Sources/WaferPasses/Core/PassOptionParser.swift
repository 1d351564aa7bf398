import WaferSupport
import WaferYAML

extension PassOptions {
    /// The options a command line gives: the `files` (`--pass-options FILE`, YAML) in order, then
    /// the `assignments` (`--pass-option SECTION.KNOB=VALUE`) in order, later settings winning.
    /// Errors name the flag, or the file's line and column. O(settings x knobs).
    public static func parse(assignments: [String], files: [String] = []) throws(DiagnosticError) -> PassOptions {
        var options = PassOptions()
        for file in files { try options.apply(file: file) }
        for text in assignments {
            do throws(PassOptionError) {
                try options.apply(assignment: text)
            } catch {
                throw DiagnosticError(error.diagnostic(at: nil))
            }
        }
        return options
    }

    /// Applies one `SECTION.KNOB=VALUE` (`route.max-iterations=40`, `tile.spare-columns=0,2,8`).
    /// Throws `PassOptionError` for a missing `=`, an unknown key (with the nearest one), a value
    /// of the wrong type or out of range. O(knobs + length).
    public mutating func apply(assignment text: String) throws(PassOptionError) {
        guard let equals = text.firstIndex(of: "=") else { throw .malformed(text) }
        let key = text[..<equals].trimmingCharacters(in: .whitespaces)
        guard !key.isEmpty else { throw .malformed(text) }
        guard let knob = Self.knob(key) else { throw Self.unknownKey(key) }
        try set(key, to: try knob.parse(String(text[text.index(after: equals)...])))
    }

    /// Applies a YAML file of the same keys, one mapping per section:
    /// `route: {max-iterations: 40}` or, in block style, `place:` then `  steps: 400`. Unknown
    /// sections and knobs fail with a did-you-mean, bad values at their line and column. Read
    /// with `YAMLReader` and its limits. O(file size + knobs).
    public mutating func apply(file path: String) throws(DiagnosticError) {
        let root = try YAMLReader.load(path: path)
        if root.isNull { return }
        var sections = try MappingReader(root, context: "the pass options")
        for section in Self.sections {
            guard let node = sections.optional(section) else { continue }
            var knobs = try MappingReader(node, context: "section '\(section)'")
            for knob in Self.knobs where knob.section == section {
                guard let value = knobs.optional(knob.name) else { continue }
                let parsed: PassOptionValue
                switch knob.kind {
                case .integer:
                    parsed = .integer(try value.integer(knob.key, in: Int.min...Int.max))
                case .number:
                    parsed = .number(try value.number(knob.key, in: -Double.greatestFiniteMagnitude...Double.greatestFiniteMagnitude))
                case .integers:
                    var list: [Int] = []
                    for item in try value.list(knob.key) { list.append(try item.integer(knob.key, in: Int.min...Int.max)) }
                    parsed = .integers(list)
                }
                do throws(PassOptionError) {
                    try set(knob.key, to: parsed)
                } catch {
                    throw DiagnosticError(error.diagnostic(at: value.location))
                }
            }
            try knobs.finish()
        }
        try sections.finish()
    }
}
