import Foundation

/// The one JSON encoder set-up of the project. Reports (`render`) are pretty-printed, keys sorted
/// (deterministic bytes), snake_case, slashes unescaped, non-finite numbers as the strings `inf`,
/// `-inf`, `nan`, with one trailing newline. Plans (`canonical`) use the same keys without
/// whitespace and refuse non-finite numbers (a plan holds none; docs/plan-format.md).
public enum JSONOutput {
    /// Pretty-printed for people (reports) or compact for digests and plan files.
    public enum Style: Sendable { case report, canonical }

    /// A fresh encoder of `style`. O(1).
    public static func encoder(_ style: Style = .report) -> JSONEncoder {
        let encoder = JSONEncoder()
        encoder.keyEncodingStrategy = .convertToSnakeCase
        switch style {
        case .report:
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
            encoder.nonConformingFloatEncodingStrategy = .convertToString(positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
        case .canonical:
            encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        }
        return encoder
    }

    /// `value` as a JSON report with a trailing newline. O(value size).
    ///
    /// A report is a tree of plain value types (strings, integers, floats, arrays, structs) and
    /// the report style maps the one value JSON cannot hold (non-finite floats); the encoder can
    /// then fail only through a programming error (a custom `encode(to:)` that throws), never
    /// through input. That is a precondition failure naming the type, not an empty `{}` that
    /// would read as a valid, empty report.
    public static func render<T: Encodable>(_ value: T) -> String {
        let data: Data
        do {
            data = try encoder(.report).encode(value)
        } catch {
            preconditionFailure("internal: the \(T.self) report could not be encoded as JSON: \(error)")
        }
        return String(decoding: data, as: UTF8.self) + "\n"
    }
}
