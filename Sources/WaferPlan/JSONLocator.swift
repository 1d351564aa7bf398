/// Finds positions in JSON text, for error messages that name a line and column: the first
/// syntax error, or where the value at a key path starts. Foundation's JSON reader reports
/// neither. A single forward scan with a stack of containers (RFC 8259 grammar, without
/// building values); O(n) time, O(depth) memory.
public struct JSONLocator {
    public enum Step: Hashable, Sendable { case key(String), index(Int) }

    public struct Position: Sendable, Equatable {
        /// 1-based line and column (columns count bytes), and the 0-based byte offset.
        public var line: Int
        public var column: Int
        public var offset: Int = 0
    }

    /// Why a scan stopped.
    public enum Outcome: Sendable, Equatable {
        /// The text is one well-formed JSON value.
        case valid
        /// A syntax error at this position: a message, and where.
        case invalid(String, Position)
        /// Well-formed so far, but beyond the scan's `Limits` here: why, and where.
        case refused(String, Position)
        /// The value at the path searched for starts here.
        case found(Position)
    }

    let bytes: [UInt8]

    public init(_ bytes: [UInt8]) { self.bytes = bytes }

    /// Scans the whole text: `.valid` or the first syntax error, or with `limits`, `.refused` at
    /// the first container nested deeper than they allow or number outside their range.
    public func validate(limits: Limits? = nil) -> Outcome { scan(target: nil, limits: limits) }

    /// Bounds on hostile input, checked during the scan before anything is built from it.
    public struct Limits: Sendable {
        /// Containers (objects and arrays) open at once.
        public var maxDepth: Int
        /// Checks a number's text under its key (the innermost object key; for array elements,
        /// the key of the array): nil when acceptable, else why not.
        public var number: @Sendable (_ key: String?, _ text: Substring) -> String?
        /// Integers of at most this many digits pass without calling `number` (the common
        /// case, kept fast: a Kimi K2 plan holds millions of small integers).
        public var acceptedDigits: Int
        /// Values (scalars and containers) in the whole text: what decoding it holds in memory
        /// grows with their number, not with the bytes.
        public var maxValues: Int
        public init(maxDepth: Int, acceptedDigits: Int, maxValues: Int = Int.max,
                    number: @escaping @Sendable (_ key: String?, _ text: Substring) -> String?) {
            self.maxDepth = maxDepth; self.acceptedDigits = acceptedDigits; self.maxValues = maxValues; self.number = number
        }
    }

    /// Where the value at `path` starts, or the first syntax error before it; `.valid` when
    /// the text is well formed and has no such path.
    public func locate(_ path: [Step]) -> Outcome { scan(target: path, limits: nil) }

    /// The scalar at `path` as text: a string's contents (escapes kept), a number or a
    /// literal; nil when absent or not a scalar. Scans only up to it.
    public func scalar(at path: [Step]) -> String? {
        guard case let .found(p) = locate(path), p.offset < bytes.count else { return nil }
        var i = p.offset
        if bytes[i] == UInt8(ascii: "\"") {
            var j = i + 1
            while j < bytes.count && bytes[j] != UInt8(ascii: "\"") { j += bytes[j] == UInt8(ascii: "\\") ? 2 : 1 }
            return j < bytes.count ? String(decoding: bytes[(i + 1)..<j], as: UTF8.self) : nil
        }
        let start = i
        while i < bytes.count, ![UInt8(ascii: ","), UInt8(ascii: "}"), UInt8(ascii: "]"), UInt8(ascii: " "), UInt8(ascii: "\n"), UInt8(ascii: "\r"), UInt8(ascii: "\t")].contains(bytes[i]) {
            if bytes[i] == UInt8(ascii: "{") || bytes[i] == UInt8(ascii: "[") { return nil }
            i += 1
        }
        return i > start ? String(decoding: bytes[start..<i], as: UTF8.self) : nil
    }

    private func scan(target: [Step]?, limits: Limits?) -> Outcome {
        var i = 0, line = 1, lineStart = 0
        func position(_ at: Int) -> Position { Position(line: line, column: at - lineStart + 1, offset: at) }
        func skipSpace() {
            while i < bytes.count {
                switch bytes[i] {
                case UInt8(ascii: "\n"): line += 1; i += 1; lineStart = i
                case UInt8(ascii: " "), UInt8(ascii: "\t"), UInt8(ascii: "\r"): i += 1
                default: return
                }
            }
        }
        /// Scans a string starting at `i` (a quote); returns its text (escapes kept raw).
        func string() -> String? {
            var j = i + 1
            while j < bytes.count {
                switch bytes[j] {
                case UInt8(ascii: "\""):
                    let text = String(decoding: bytes[(i + 1)..<j], as: UTF8.self)
                    i = j + 1
                    return text
                case UInt8(ascii: "\\"): j += 2
                case 0..<0x20: i = j; return nil
                default: j += 1
                }
            }
            i = bytes.count
            return nil
        }
        enum Container { case object(expectKey: Bool, key: String?), array(index: Int) }
        var stack: [Container] = []
        var path: [Step] = []
        func atTarget() -> Bool { target.map { $0 == path } ?? false }
        let truncated = "unexpected end of file (the plan is truncated?)"
        /// Reads `"key":` at `i` into the innermost object; nil, or the syntax error.
        func readKey() -> Outcome? {
            guard i < bytes.count, bytes[i] == UInt8(ascii: "\"") else { return .invalid(i < bytes.count ? "expected a key in quotes" : truncated, position(i)) }
            let at = i
            guard let key = string() else { return .invalid(i >= bytes.count ? truncated : "control character in a key", position(at)) }
            skipSpace()
            guard i < bytes.count, bytes[i] == UInt8(ascii: ":") else { return .invalid(i < bytes.count ? "expected ':'" : truncated, position(i)) }
            i += 1
            stack[stack.count - 1] = .object(expectKey: false, key: key)
            return nil
        }
        // Parse values iteratively.
        skipSpace()
        var values = 0
        while true {
            // Expect a value at i.
            skipSpace()
            guard i < bytes.count else { return .invalid("unexpected end of file (the plan is truncated?)", position(i)) }
            if atTarget() { return .found(position(i)) }
            let c = bytes[i]
            values += 1
            if let limits, values > limits.maxValues {
                return .refused("more than \(limits.maxValues) values (numbers, strings, lists, objects) in one file", position(i))
            }
            if let limits, c == UInt8(ascii: "{") || c == UInt8(ascii: "["), stack.count >= limits.maxDepth {
                return .refused("nested deeper than \(limits.maxDepth) levels", position(i))
            }
            switch c {
            case UInt8(ascii: "{"):
                i += 1
                skipSpace()
                if i < bytes.count && bytes[i] == UInt8(ascii: "}") { i += 1; break }
                stack.append(.object(expectKey: true, key: nil))
                if let error = readKey() { return error }
                path.append(.key(""))
                if case let .object(_, key?) = stack[stack.count - 1] { path[path.count - 1] = .key(key) }
                continue
            case UInt8(ascii: "["):
                i += 1
                skipSpace()
                if i < bytes.count && bytes[i] == UInt8(ascii: "]") { i += 1; break }
                stack.append(.array(index: 0))
                path.append(.index(0))
                continue
            case UInt8(ascii: "\""):
                let at = i
                guard string() != nil else { return .invalid(i >= bytes.count ? "unexpected end of file (the plan is truncated?)" : "control character in a string", position(at)) }
            case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"):
                let at = i
                i += 1
                while i < bytes.count, (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(bytes[i]) || [UInt8(ascii: "."), UInt8(ascii: "e"), UInt8(ascii: "E"), UInt8(ascii: "+"), UInt8(ascii: "-")].contains(bytes[i]) { i += 1 }
                if i - at == 1 && c == UInt8(ascii: "-") { return .invalid("malformed number", position(at)) }
                var plainDigits = true
                for j in at..<i where !(bytes[j] >= UInt8(ascii: "0") && bytes[j] <= UInt8(ascii: "9")) && !(j == at && c == UInt8(ascii: "-")) { plainDigits = false; break }
                if let limits, !(plainDigits && i - at - (c == UInt8(ascii: "-") ? 1 : 0) <= limits.acceptedDigits) {
                    var key: String?
                    for step in path.reversed() { if case let .key(k) = step { key = k; break } }
                    let text = Substring(String(decoding: bytes[at..<i], as: UTF8.self))
                    if let problem = limits.number(key, text) { return .refused(problem, position(at)) }
                }
            default:
                var matched = false
                for word in ["true", "false", "null"] {
                    let w = Array(word.utf8)
                    if i + w.count <= bytes.count && Array(bytes[i..<(i + w.count)]) == w { i += w.count; matched = true; break }
                }
                guard matched else { return .invalid("unexpected character '\(String(decoding: [c], as: UTF8.self))'", position(i)) }
            }
            // After a value: close containers or move to the next element.
            while true {
                skipSpace()
                guard let top = stack.last else {
                    skipSpace()
                    return i < bytes.count ? .invalid("text after the end of the JSON value", position(i)) : .valid
                }
                guard i < bytes.count else { return .invalid("unexpected end of file (the plan is truncated?)", position(i)) }
                let c = bytes[i]
                switch top {
                case .array(let index):
                    if c == UInt8(ascii: ",") {
                        i += 1
                        stack[stack.count - 1] = .array(index: index + 1)
                        path[path.count - 1] = .index(index + 1)
                    } else if c == UInt8(ascii: "]") {
                        i += 1
                        stack.removeLast(); path.removeLast()
                        continue
                    } else {
                        return .invalid("expected ',' or ']'", position(i))
                    }
                case .object:
                    if c == UInt8(ascii: ",") {
                        i += 1
                        skipSpace()
                        if let error = readKey() { return error }
                        if case let .object(_, key?) = stack[stack.count - 1] { path[path.count - 1] = .key(key) }
                    } else if c == UInt8(ascii: "}") {
                        i += 1
                        stack.removeLast(); path.removeLast()
                        continue
                    } else {
                        return .invalid("expected ',' or '}'", position(i))
                    }
                }
                break
            }
        }
    }
}
