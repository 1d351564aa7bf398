import WaferSupport
import WaferYAML

/// A strict JSON reader (RFC 8259) for Hugging Face `config.json` files, producing the same
/// located `YAMLNode` tree the rest of the importer reads (strings as quoted scalars, numbers,
/// `true`, `false` and `null` as plain scalars), so every value keeps its line and column.
///
/// Strict means exactly the RFC's grammar: double-quoted strings with JSON escapes only, JSON
/// numbers, lower-case literals, no trailing commas, no comments, no single quotes, no unquoted
/// keys, no NaN or Infinity, no YAML anchors, aliases or tags, and no key twice in one object.
/// The first violation is an error at the offending byte (line, and column in Unicode scalars as
/// everywhere else in WaferMap), with a message that says what JSON wants instead.
///
/// Bounds (`YAMLLimits`, the model format's): the file size, nesting depth (containers open at
/// once), the number of values, and the bytes of one string or number; each is refused where it
/// is first exceeded. One forward pass: O(n) time in the file's bytes, O(n) memory for the tree,
/// recursion no deeper than `maxDepth`.
enum ConfigJSON {
    static func parse(bytes: [UInt8], file: String, limits: YAMLLimits) throws(DiagnosticError) -> YAMLNode {
        if bytes.count > limits.maxFileBytes {
            throw .error(ConfigFailure.fileTooLarge, "input is larger than the limit of \(Units.grouped(limits.maxFileBytes)) bytes", at: .startOf(file))
        }
        var parser = Parser(bytes: bytes, file: file, limits: limits)
        return try parser.document()
    }

    private struct Parser {
        let bytes: [UInt8]
        let file: String
        let limits: YAMLLimits
        var i = 0
        var line = 1
        var column = 1
        var depth = 0
        var nodes = 0

        init(bytes: [UInt8], file: String, limits: YAMLLimits) {
            self.bytes = bytes
            self.file = file
            self.limits = limits
        }

        var here: SourceLocation { SourceLocation(file: file, line: line, column: column) }

        func fail(_ message: String, at location: SourceLocation? = nil, notes: [Diagnostic] = [], _ kind: ConfigFailure = .jsonSyntax) -> DiagnosticError {
            .error(kind, message, at: location ?? here, notes: notes)
        }

        /// Moves past one byte, keeping line and column (columns count Unicode scalars: a UTF-8
        /// continuation byte does not start a new column).
        mutating func advance() {
            let byte = bytes[i]
            i += 1
            if byte == 0x0A {
                line += 1
                column = 1
            } else if byte & 0xC0 != 0x80 {
                column += 1
            }
        }

        mutating func skipSpace() {
            while i < bytes.count {
                switch bytes[i] {
                case 0x20, 0x09, 0x0A, 0x0D: advance()
                default: return
                }
            }
        }

        var current: UInt8? { i < bytes.count ? bytes[i] : nil }

        mutating func document() throws(DiagnosticError) -> YAMLNode {
            if bytes.starts(with: [0xEF, 0xBB, 0xBF]) {
                throw fail("the file starts with a byte-order mark; JSON text starts with '{' (RFC 8259, section 8.1)")
            }
            skipSpace()
            guard let first = current else { throw fail("the file is empty; expected a JSON object", at: .startOf(file)) }
            guard first == UInt8(ascii: "{") else {
                throw fail("expected a JSON object starting with '{', found \(describeByte(at: i))")
            }
            let root = try value()
            skipSpace()
            if i < bytes.count {
                throw fail("text after the end of the JSON object: found \(describeByte(at: i))")
            }
            return root
        }

        mutating func count(_ location: SourceLocation) throws(DiagnosticError) {
            nodes += 1
            if nodes > limits.maxNodes {
                throw fail("more than \(Units.grouped(limits.maxNodes)) JSON values; the limit keeps memory bounded", at: location, .jsonLimit)
            }
        }

        /// One JSON value at the cursor (white space already skipped).
        mutating func value() throws(DiagnosticError) -> YAMLNode {
            let location = here
            guard let c = current else { throw fail("unexpected end of file: expected a JSON value") }
            try count(location)
            switch c {
            case UInt8(ascii: "{"): return try object(at: location)
            case UInt8(ascii: "["): return try array(at: location)
            case UInt8(ascii: "\""): return YAMLNode(kind: .scalar(try string(), .quoted), location: location)
            case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"):
                return YAMLNode(kind: .scalar(try number(), .plain), location: location)
            default:
                let word = bareWord()
                if word == "true" || word == "false" || word == "null" {
                    for _ in 0..<word.utf8.count { advance() }
                    return YAMLNode(kind: .scalar(word, .plain), location: location)
                }
                throw notAValue(at: location)
            }
        }

        /// The error for a byte that cannot start a JSON value, naming the non-JSON syntax it
        /// most likely is.
        mutating func notAValue(at location: SourceLocation) -> DiagnosticError {
            guard let c = current else { return fail("unexpected end of file: expected a JSON value") }
            switch c {
            case UInt8(ascii: "'"):
                return fail("single-quoted strings are not JSON; strings are double-quoted", at: location)
            case UInt8(ascii: "/"), UInt8(ascii: "#"):
                return fail("comments are not JSON", at: location)
            case UInt8(ascii: "&"):
                return fail("YAML anchors ('&name') are not JSON", at: location)
            case UInt8(ascii: "*"):
                return fail("YAML aliases ('*name') are not JSON", at: location)
            case UInt8(ascii: "!"):
                return fail("YAML tags ('!tag') are not JSON", at: location)
            case UInt8(ascii: "}"), UInt8(ascii: "]"), UInt8(ascii: ","), UInt8(ascii: ":"):
                return fail("expected a JSON value here, found '\(Character(Unicode.Scalar(c)))'", at: location)
            case UInt8(ascii: "+"), UInt8(ascii: "."):
                return fail("malformed number: JSON numbers start with '-' or a digit", at: location)
            default:
                let word = bareWord()
                if word.isEmpty { return fail("expected a JSON value here, found \(describeByte(at: i))", at: location) }
                switch word {
                case "NaN", "Infinity", "inf", "nan":
                    return fail("'\(word)' is not a JSON number: JSON has no NaN or Infinity", at: location)
                case "True", "False", "TRUE", "FALSE", "None", "Null", "NULL":
                    return fail("'\(word)' is not JSON: the literals are true, false and null, in lower case", at: location)
                default:
                    return fail("'\(word.prefix(40))' is not JSON: strings are double-quoted; values are numbers, true, false or null", at: location)
                }
            }
        }

        /// The run of ASCII letters, digits and `_.-` at the cursor (for messages; not consumed).
        func bareWord() -> String {
            var j = i
            while j < bytes.count, j - i < 64 {
                let b = bytes[j]
                let isWord = (b >= 0x30 && b <= 0x39) || (b >= 0x41 && b <= 0x5A) || (b >= 0x61 && b <= 0x7A)
                    || b == UInt8(ascii: "_") || b == UInt8(ascii: ".") || b == UInt8(ascii: "-")
                guard isWord else { break }
                j += 1
            }
            return String(decoding: bytes[i..<j], as: UTF8.self)
        }

        func describeByte(at index: Int) -> String {
            guard index < bytes.count else { return "the end of the file" }
            let b = bytes[index]
            if b >= 0x21 && b < 0x7F { return "'\(Character(Unicode.Scalar(b)))'" }
            return "byte 0x" + String(b, radix: 16, uppercase: true)
        }

        mutating func enter(_ location: SourceLocation) throws(DiagnosticError) {
            depth += 1
            if depth > limits.maxDepth {
                throw fail("nested deeper than \(limits.maxDepth) levels", at: location, .jsonLimit)
            }
        }

        mutating func object(at location: SourceLocation) throws(DiagnosticError) -> YAMLNode {
            try enter(location)
            advance()  // {
            var pairs: [YAMLPair] = []
            var seen: [String: SourceLocation] = [:]
            var comma: SourceLocation?
            while true {
                skipSpace()
                guard let c = current else {
                    throw fail("unexpected end of file: the object opened at \(location.line):\(location.column) is not closed")
                }
                if c == UInt8(ascii: "}") {
                    if let comma {
                        throw fail("trailing comma: JSON allows no ',' before '}'", at: comma)
                    }
                    advance()
                    break
                }
                let keyLocation = here
                guard c == UInt8(ascii: "\"") else {
                    if c == UInt8(ascii: "'") || c == UInt8(ascii: "/") || c == UInt8(ascii: "#") || c == UInt8(ascii: "&")
                        || c == UInt8(ascii: "*") || c == UInt8(ascii: "!") {
                        throw notAValue(at: keyLocation)
                    }
                    if c == UInt8(ascii: ",") { throw fail("expected a key before ','", at: keyLocation) }
                    throw fail("object keys are double-quoted strings, found \(describeByte(at: i))", at: keyLocation)
                }
                let key = try string()
                try count(keyLocation)
                if let first = seen[key] {
                    throw fail("duplicate key '\(key.prefix(80))' in one object", at: keyLocation,
                               notes: [.note("first given here", at: first)], .duplicateKey)
                }
                seen[key] = keyLocation
                skipSpace()
                guard current == UInt8(ascii: ":") else {
                    throw fail(current == nil ? "unexpected end of file: expected ':' after the key" : "expected ':' after the key, found \(describeByte(at: i))")
                }
                advance()
                skipSpace()
                let item = try value()
                pairs.append(YAMLPair(key: YAMLNode(kind: .scalar(key, .quoted), location: keyLocation), value: item))
                skipSpace()
                guard let next = current else {
                    throw fail("unexpected end of file: the object opened at \(location.line):\(location.column) is not closed")
                }
                if next == UInt8(ascii: ",") {
                    comma = here
                    advance()
                } else if next == UInt8(ascii: "}") {
                    comma = nil
                } else if next == UInt8(ascii: "/") || next == UInt8(ascii: "#") {
                    throw fail("comments are not JSON")
                } else {
                    throw fail("expected ',' or '}' after a member of the object, found \(describeByte(at: i))")
                }
            }
            depth -= 1
            return YAMLNode(kind: .mapping(pairs), location: location)
        }

        mutating func array(at location: SourceLocation) throws(DiagnosticError) -> YAMLNode {
            try enter(location)
            advance()  // [
            var items: [YAMLNode] = []
            var comma: SourceLocation?
            while true {
                skipSpace()
                guard let c = current else {
                    throw fail("unexpected end of file: the array opened at \(location.line):\(location.column) is not closed")
                }
                if c == UInt8(ascii: "]") {
                    if let comma {
                        throw fail("trailing comma: JSON allows no ',' before ']'", at: comma)
                    }
                    advance()
                    break
                }
                items.append(try value())
                skipSpace()
                guard let next = current else {
                    throw fail("unexpected end of file: the array opened at \(location.line):\(location.column) is not closed")
                }
                if next == UInt8(ascii: ",") {
                    comma = here
                    advance()
                } else if next == UInt8(ascii: "]") {
                    comma = nil
                } else if next == UInt8(ascii: "/") || next == UInt8(ascii: "#") {
                    throw fail("comments are not JSON")
                } else {
                    throw fail("expected ',' or ']' after an element of the array, found \(describeByte(at: i))")
                }
            }
            depth -= 1
            return YAMLNode(kind: .sequence(items), location: location)
        }

        /// A double-quoted string at the cursor, escapes decoded; the cursor ends after the
        /// closing quote. Raw bytes must be valid UTF-8 and no control character.
        mutating func string() throws(DiagnosticError) -> String {
            let start = here
            advance()  // "
            var out: [UInt8] = []
            while true {
                if out.count > limits.maxScalarBytes {
                    throw fail("string longer than the limit of \(Units.grouped(limits.maxScalarBytes)) bytes", at: start, .jsonLimit)
                }
                guard let c = current else {
                    throw fail("unexpected end of file: the string starting at \(start.line):\(start.column) is not closed")
                }
                switch c {
                case UInt8(ascii: "\""):
                    advance()
                    return String(decoding: out, as: UTF8.self)
                case UInt8(ascii: "\\"):
                    try escape(into: &out)
                case 0x00..<0x20:
                    throw fail("control character U+" + hex4(UInt32(c)) + " in a string; JSON writes it as an escape such as \\n or \\u" + hex4(UInt32(c)))
                case 0x20..<0x80:
                    out.append(c)
                    advance()
                default:
                    let length = utf8SequenceLength(at: i)
                    guard length > 0 else {
                        throw fail("invalid UTF-8 byte sequence (byte 0x\(String(c, radix: 16, uppercase: true))); JSON text is UTF-8")
                    }
                    for _ in 0..<length {
                        out.append(bytes[i])
                        advance()
                    }
                }
            }
        }

        /// Decodes one escape (`\"`, `\\`, `\/`, `\b`, `\f`, `\n`, `\r`, `\t`, `\uXXXX`, with
        /// surrogate pairs) at the cursor into `out`.
        mutating func escape(into out: inout [UInt8]) throws(DiagnosticError) {
            let location = here
            advance()  // backslash
            guard let c = current else { throw fail("unexpected end of file in an escape", at: location) }
            let simple: UInt8?
            switch c {
            case UInt8(ascii: "\""): simple = 0x22
            case UInt8(ascii: "\\"): simple = 0x5C
            case UInt8(ascii: "/"): simple = 0x2F
            case UInt8(ascii: "b"): simple = 0x08
            case UInt8(ascii: "f"): simple = 0x0C
            case UInt8(ascii: "n"): simple = 0x0A
            case UInt8(ascii: "r"): simple = 0x0D
            case UInt8(ascii: "t"): simple = 0x09
            case UInt8(ascii: "u"): simple = nil
            default:
                throw fail("'\\\(describeEscape(c))' is not a JSON escape; JSON has \\\" \\\\ \\/ \\b \\f \\n \\r \\t and \\uXXXX", at: location)
            }
            if let simple {
                out.append(simple)
                advance()
                return
            }
            advance()  // u
            var scalar = try hexQuad(escapeAt: location)
            if (0xD800...0xDBFF).contains(scalar) {
                guard current == UInt8(ascii: "\\"), i + 1 < bytes.count, bytes[i + 1] == UInt8(ascii: "u") else {
                    throw fail("\\u\(hex4(scalar)) is half of a surrogate pair; the low half must follow", at: location)
                }
                let lowLocation = here
                advance(); advance()
                let low = try hexQuad(escapeAt: lowLocation)
                guard (0xDC00...0xDFFF).contains(low) else {
                    throw fail("\\u\(hex4(scalar)) must be followed by a low surrogate (\\uDC00 to \\uDFFF), found \\u\(hex4(low))", at: lowLocation)
                }
                scalar = 0x10000 + ((scalar - 0xD800) << 10) + (low - 0xDC00)
            } else if (0xDC00...0xDFFF).contains(scalar) {
                throw fail("\\u\(hex4(scalar)) is a lone low surrogate, not a character", at: location)
            }
            guard let unicode = Unicode.Scalar(scalar) else {
                throw fail("\\u\(hex4(scalar)) is not a Unicode scalar", at: location)
            }
            out.append(contentsOf: Array(String(Character(unicode)).utf8))
        }

        func describeEscape(_ c: UInt8) -> String {
            c >= 0x21 && c < 0x7F ? String(Character(Unicode.Scalar(c))) : "0x" + String(c, radix: 16, uppercase: true)
        }

        mutating func hexQuad(escapeAt location: SourceLocation) throws(DiagnosticError) -> UInt32 {
            var value: UInt32 = 0
            for _ in 0..<4 {
                guard let c = current else { throw fail("unexpected end of file in a \\u escape", at: location) }
                let digit: UInt32
                switch c {
                case UInt8(ascii: "0")...UInt8(ascii: "9"): digit = UInt32(c - UInt8(ascii: "0"))
                case UInt8(ascii: "a")...UInt8(ascii: "f"): digit = UInt32(c - UInt8(ascii: "a") + 10)
                case UInt8(ascii: "A")...UInt8(ascii: "F"): digit = UInt32(c - UInt8(ascii: "A") + 10)
                default: throw fail("a \\u escape takes four hexadecimal digits", at: location)
                }
                value = value << 4 | digit
                advance()
            }
            return value
        }

        func hex4(_ value: UInt32) -> String {
            let text = String(value, radix: 16, uppercase: true)
            return String(repeating: "0", count: max(0, 4 - text.count)) + text
        }

        /// The length of the valid UTF-8 sequence of a non-ASCII lead byte at `index`, or 0.
        func utf8SequenceLength(at index: Int) -> Int {
            let lead = bytes[index]
            let length: Int
            var scalar: UInt32
            var minimum: UInt32
            switch lead {
            case 0xC2...0xDF: length = 2; scalar = UInt32(lead & 0x1F); minimum = 0x80
            case 0xE0...0xEF: length = 3; scalar = UInt32(lead & 0x0F); minimum = 0x800
            case 0xF0...0xF4: length = 4; scalar = UInt32(lead & 0x07); minimum = 0x10000
            default: return 0
            }
            guard index + length <= bytes.count else { return 0 }
            for offset in 1..<length {
                let next = bytes[index + offset]
                guard next & 0xC0 == 0x80 else { return 0 }
                scalar = scalar << 6 | UInt32(next & 0x3F)
            }
            if scalar < minimum || scalar > 0x10FFFF || (0xD800...0xDFFF).contains(scalar) { return 0 }
            return length
        }

        /// A number by RFC 8259's grammar, `-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?`,
        /// returned as its text. Anything else that starts like a number is an error at its start.
        mutating func number() throws(DiagnosticError) -> String {
            let start = here
            let first = i
            func isDigit(_ b: UInt8?) -> Bool { b.map { $0 >= 0x30 && $0 <= 0x39 } ?? false }
            if current == UInt8(ascii: "-") {
                advance()
                if let c = current, c == UInt8(ascii: "I") || c == UInt8(ascii: "N") || c == UInt8(ascii: "i") {
                    throw fail("'-\(bareWord())' is not a JSON number: JSON has no NaN or Infinity", at: start)
                }
            }
            guard isDigit(current) else { throw fail("malformed number: '-' must be followed by a digit", at: start) }
            if current == UInt8(ascii: "0") {
                advance()
                if isDigit(current) { throw fail("malformed number: JSON numbers have no leading zeros", at: start) }
            } else {
                while isDigit(current) { advance() }
            }
            if current == UInt8(ascii: ".") {
                advance()
                guard isDigit(current) else { throw fail("malformed number: a digit must follow the decimal point", at: start) }
                while isDigit(current) { advance() }
            }
            if current == UInt8(ascii: "e") || current == UInt8(ascii: "E") {
                advance()
                if current == UInt8(ascii: "+") || current == UInt8(ascii: "-") { advance() }
                guard isDigit(current) else { throw fail("malformed number: the exponent needs digits", at: start) }
                while isDigit(current) { advance() }
            }
            if i - first > limits.maxScalarBytes {
                throw fail("number longer than the limit of \(Units.grouped(limits.maxScalarBytes)) bytes", at: start, .jsonLimit)
            }
            if let c = current {
                let isLetter = (c >= 0x41 && c <= 0x5A) || (c >= 0x61 && c <= 0x7A) || c == UInt8(ascii: "_") || c == UInt8(ascii: ".")
                if isLetter || isDigit(c) {
                    let text = String(decoding: bytes[first..<i], as: UTF8.self) + bareWord()
                    throw fail("'\(text.prefix(40))' is not JSON: strings are double-quoted; numbers are decimal", at: start)
                }
            }
            return String(decoding: bytes[first..<i], as: UTF8.self)
        }
    }
}
