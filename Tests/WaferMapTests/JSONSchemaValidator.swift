import Foundation

/// A JSON Schema (draft 2020-12) validator for the keywords docs/plan.schema.json uses: `type`,
/// `properties`, `required`, `additionalProperties`, `items`, `enum`, `const`, `pattern`,
/// `minimum`, `minItems`, `maxItems`, `oneOf`. Returns the first violations with their paths.
/// (No validator is among this project's packages; tests only.)
struct JSONSchemaValidator {
    let schema: [String: Any]

    func errors(_ value: Any, limit: Int = 10) -> [String] {
        var out: [String] = []
        check(value, schema, path: "$", into: &out, limit: limit)
        return out
    }

    private func typeName(_ v: Any) -> String {
        if v is NSNull { return "null" }
        if let n = v as? NSNumber {
            if "\(type(of: v))".contains("Boolean") { return "boolean" }
            let kind = String(cString: n.objCType)
            return kind == "d" || kind == "f" ? "number" : "integer"
        }
        if v is String { return "string" }
        if v is [Any] { return "array" }
        if v is [String: Any] { return "object" }
        return "unknown"
    }

    private func check(_ v: Any, _ s: [String: Any], path: String, into out: inout [String], limit: Int) {
        guard out.count < limit else { return }
        if let type = s["type"] {
            let allowed = (type as? [String]) ?? [(type as? String) ?? ""]
            let actual = typeName(v)
            if !allowed.contains(actual) && !(actual == "integer" && allowed.contains("number")) {
                out.append("\(path): \(actual), expected \(allowed.joined(separator: " or "))"); return
            }
        }
        if let options = s["enum"] as? [Any], !options.contains(where: { "\($0)" == "\(v)" }) { out.append("\(path): \(v) not in enum") }
        if let c = s["const"], "\(c)" != "\(v)" { out.append("\(path): \(v) is not \(c)") }
        if let pattern = s["pattern"] as? String, let text = v as? String,
           let re = try? NSRegularExpression(pattern: pattern),
           re.firstMatch(in: text, range: NSRange(text.startIndex..., in: text)) == nil {
            out.append("\(path): '\(text.prefix(40))' does not match \(pattern)")
        }
        if let minimum = s["minimum"] as? Double, let n = v as? NSNumber, n.doubleValue < minimum { out.append("\(path): below \(minimum)") }
        if let choices = s["oneOf"] as? [[String: Any]] {
            let matching = choices.filter { choice in var e: [String] = []; check(v, choice, path: path, into: &e, limit: 1); return e.isEmpty }
            if matching.count != 1 { out.append("\(path): matches \(matching.count) of oneOf") }
        }
        if let array = v as? [Any] {
            if let n = s["minItems"] as? Int, array.count < n { out.append("\(path): fewer than \(n) items") }
            if let n = s["maxItems"] as? Int, array.count > n { out.append("\(path): more than \(n) items") }
            if let items = s["items"] as? [String: Any] {
                for (i, item) in array.enumerated() { check(item, items, path: "\(path)[\(i)]", into: &out, limit: limit); if out.count >= limit { return } }
            }
        }
        if let object = v as? [String: Any] {
            for key in (s["required"] as? [String]) ?? [] where object[key] == nil { out.append("\(path): missing '\(key)'") }
            let properties = (s["properties"] as? [String: Any]) ?? [:]
            for (key, value) in object.sorted(by: { $0.key < $1.key }) {
                if let p = properties[key] as? [String: Any] {
                    check(value, p, path: "\(path).\(key)", into: &out, limit: limit)
                } else if let extra = s["additionalProperties"] as? [String: Any] {
                    check(value, extra, path: "\(path).\(key)", into: &out, limit: limit)
                } else if let allowed = s["additionalProperties"] as? Bool, !allowed {
                    out.append("\(path): unexpected key '\(key)'")
                }
            }
        }
    }
}
