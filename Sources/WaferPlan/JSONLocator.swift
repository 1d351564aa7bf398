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
        var s = Scanner(bytes: bytes)
        // Parse values iteratively.
        s.skipSpace()
        while true {
            // Expect a value at i.
            s.skipSpace()
            guard s.i < bytes.count else { return .invalid(Scanner.truncated, s.position(s.i)) }
            if let target, target == s.path { return .found(s.position(s.i)) }
            switch s.value(limits: limits) {
            case .opened: continue
            case let .stopped(outcome): return outcome
            case .read: break
            }
            if let outcome = s.afterValue() { return outcome }
        }
    }

    private enum Container { case object(expectKey: Bool, key: String?), array(index: Int) }

    /// The scan's state: the byte it is at, the line it is on, and the containers open around
    /// it with the key path to it. Each method reads one piece of the grammar. O(1) memory
    /// beyond the stack of open containers.
    private struct Scanner {
        static let truncated = "unexpected end of file (the plan is truncated?)"
        let bytes: [UInt8]
        var i = 0, line = 1, lineStart = 0
        var stack: [Container] = []
        var path: [Step] = []
        var values = 0

        init(bytes: [UInt8]) { self.bytes = bytes }

        func position(_ at: Int) -> Position { Position(line: line, column: at - lineStart + 1, offset: at) }

        mutating func skipSpace() {
            while i < bytes.count {
                switch bytes[i] {
                case UInt8(ascii: "\n"): line += 1; i += 1; lineStart = i
                case UInt8(ascii: " "), UInt8(ascii: "\t"), UInt8(ascii: "\r"): i += 1
                default: return
                }
            }
        }

        /// Scans a string starting at `i` (a quote); returns its text (escapes kept raw).
        mutating func string() -> String? {
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

        /// Reads `"key":` at `i` into the innermost object; nil, or the syntax error.
        mutating func readKey() -> Outcome? {
            let truncated = Scanner.truncated
            guard i < bytes.count, bytes[i] == UInt8(ascii: "\"") else { return .invalid(i < bytes.count ? "expected a key in quotes" : truncated, position(i)) }
            let at = i
            guard let key = string() else { return .invalid(i >= bytes.count ? truncated : "control character in a key", position(at)) }
            skipSpace()
            guard i < bytes.count, bytes[i] == UInt8(ascii: ":") else { return .invalid(i < bytes.count ? "expected ':'" : truncated, position(i)) }
            i += 1
            stack[stack.count - 1] = .object(expectKey: false, key: key)
            return nil
        }

        /// What reading a value did: opened a container, read a whole value, or stopped the scan.
        enum ValueRead { case opened, read, stopped(Outcome) }

        /// Reads the value at `i`: a scalar whole, or the opening of a container (pushed on the
        /// stack, its first key read). Counts it against `limits`.
        mutating func value(limits: Limits?) -> ValueRead {
            let c = bytes[i]
            values += 1
            if let limits, values > limits.maxValues {
                return .stopped(.refused("more than \(limits.maxValues) values (numbers, strings, lists, objects) in one file", position(i)))
            }
            if let limits, c == UInt8(ascii: "{") || c == UInt8(ascii: "["), stack.count >= limits.maxDepth {
                return .stopped(.refused("nested deeper than \(limits.maxDepth) levels", position(i)))
            }
            switch c {
            case UInt8(ascii: "{"):
                i += 1
                skipSpace()
                if i < bytes.count && bytes[i] == UInt8(ascii: "}") { i += 1; return .read }
                stack.append(.object(expectKey: true, key: nil))
                if let error = readKey() { return .stopped(error) }
                path.append(.key(""))
                if case let .object(_, key?) = stack[stack.count - 1] { path[path.count - 1] = .key(key) }
                return .opened
            case UInt8(ascii: "["):
                i += 1
                skipSpace()
                if i < bytes.count && bytes[i] == UInt8(ascii: "]") { i += 1; return .read }
                stack.append(.array(index: 0))
                path.append(.index(0))
                return .opened
            case UInt8(ascii: "\""):
                let at = i
                guard string() != nil else { return .stopped(.invalid(i >= bytes.count ? "unexpected end of file (the plan is truncated?)" : "control character in a string", position(at))) }
            case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"):
                let at = i
                i += 1
                while i < bytes.count, (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(bytes[i]) || [UInt8(ascii: "."), UInt8(ascii: "e"), UInt8(ascii: "E"), UInt8(ascii: "+"), UInt8(ascii: "-")].contains(bytes[i]) { i += 1 }
                if i - at == 1 && c == UInt8(ascii: "-") { return .stopped(.invalid("malformed number", position(at))) }
                var plainDigits = true
                for j in at..<i where !(bytes[j] >= UInt8(ascii: "0") && bytes[j] <= UInt8(ascii: "9")) && !(j == at && c == UInt8(ascii: "-")) { plainDigits = false; break }
                if let limits, !(plainDigits && i - at - (c == UInt8(ascii: "-") ? 1 : 0) <= limits.acceptedDigits) {
                    var key: String?
                    for step in path.reversed() { if case let .key(k) = step { key = k; break } }
                    let text = Substring(String(decoding: bytes[at..<i], as: UTF8.self))
                    if let problem = limits.number(key, text) { return .stopped(.refused(problem, position(at))) }
                }
            default:
                var matched = false
                for word in ["true", "false", "null"] {
                    let w = Array(word.utf8)
                    if i + w.count <= bytes.count && Array(bytes[i..<(i + w.count)]) == w { i += w.count; matched = true; break }
                }
                guard matched else { return .stopped(.invalid("unexpected character '\(String(decoding: [c], as: UTF8.self))'", position(i))) }
            }
            return .read
        }

        /// After a value: closes containers and moves to the next element. nil when another
        /// value is expected, else how the scan ends.
        mutating func afterValue() -> Outcome? {
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
                return nil
            }
        }
    }
}
