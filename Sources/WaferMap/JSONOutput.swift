import Foundation

/// Every JSON report's encoding: pretty-printed, keys sorted (deterministic bytes), snake_case,
/// slashes unescaped, non-finite numbers as the strings `inf`, `-inf`, `nan`, one trailing newline.
enum JSONOutput {
    static func render<T: Encodable>(_ value: T, empty: String = "{}") -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        encoder.keyEncodingStrategy = .convertToSnakeCase
        encoder.nonConformingFloatEncodingStrategy = .convertToString(positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
        guard let data = try? encoder.encode(value), let text = String(data: data, encoding: .utf8) else { return empty + "\n" }
        return text + "\n"
    }
}
