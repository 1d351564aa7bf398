import WaferSupport

/// A knob `sweep` varies: `--vary SECTION.KNOB=V1,V2,...` compiles every configuration once per
/// value. A list knob's values are separated by `/` instead (`--vary tile.spare-columns=0,4/0,2,8`),
/// since commas separate its items.
public struct PassOptionVariation: Sendable, Hashable {
    public var key: String
    /// The values as given, each a valid `--pass-option` value of the knob.
    public var values: [String]

    /// Parses `KEY=V1,V2,...`; each value is checked as `--pass-option KEY=V` would check it
    /// (type, range, did-you-mean on the key). At most 64 values. O(values x knobs).
    public init(parsing text: String) throws(DiagnosticError) {
        // The same messages as --pass-option: malformed, or the nearest key.
        guard let equals = text.firstIndex(of: "=") else { throw DiagnosticError(PassOptionError.malformed(text).diagnostic(at: nil, source: "--vary")) }
        let name = String(text[..<equals]).trimmingCharacters(in: .whitespaces)
        guard let knob = PassOptions.knob(name) else { throw DiagnosticError(PassOptions.unknownKey(name).diagnostic(at: nil, source: "--vary")) }
        let separator: Character = { if case .integers = knob.kind { return "/" } else { return "," } }()
        let values = text[text.index(after: equals)...].split(separator: separator, omittingEmptySubsequences: false)
            .map { $0.trimmingCharacters(in: .whitespaces) }
        guard !values.isEmpty, values.count <= 64, !values.contains(where: \.isEmpty) else {
            throw .error(PassFailure.optionMalformed, "--vary \(knob.key): give 1 to 64 values separated by '\(separator)', got \(Diagnostic.quoted(text))", at: nil)
        }
        for value in values {
            var probe = PassOptions()
            do throws(PassOptionError) { try probe.apply(assignment: "\(knob.key)=\(value)") } catch {
                throw DiagnosticError(error.diagnostic(at: nil, source: "--vary"))
            }
        }
        key = knob.key
        self.values = values
    }

    /// Every combination of `variations` applied on `base` (the cross product, in order: the
    /// last variation changes fastest); `[base]` without variations. Throws when a combination
    /// breaks a cross-knob rule or there are more than 64. O(combinations x knobs).
    public static func combinations(_ variations: [PassOptionVariation], base: PassOptions) throws(DiagnosticError) -> [PassOptions] {
        var result = [base]
        for variation in variations {
            guard result.count * variation.values.count <= 64 else {
                throw .error(PassFailure.optionMalformed, "--vary: the variations make more than 64 combinations", at: nil)
            }
            var next: [PassOptions] = []
            for options in result {
                for value in variation.values {
                    var o = options
                    do throws(PassOptionError) { try o.apply(assignment: "\(variation.key)=\(value)") } catch {
                        throw DiagnosticError(error.diagnostic(at: nil, source: "--vary"))
                    }
                    next.append(o)
                }
            }
            result = next
        }
        return result
    }
}
