import Foundation

/// A regular expression from a `quantization_config` (`modules_to_not_convert` entries,
/// compressed-tensors `re:` targets and ignores), matched without backtracking.
///
/// A backtracking engine (Swift `Regex`, Python `re`) takes exponential time on patterns such
/// as `(.*)*Q` or `(a+)+$`, and a config.json is untrusted input. This matcher compiles the
/// pattern to a Thompson NFA (K. Thompson, "Regular expression search algorithm", CACM 11(6),
/// 1968) and simulates all its states in lock step, as Russ Cox describes in "Regular
/// Expression Matching Can Be Simple And Fast" (2007): matching a name of n characters against
/// a program of m instructions takes O(n x m) time and O(m) memory, for every accepted pattern.
///
/// The subset is what real configs use, with the meaning Python's `re` and Swift `Regex` give
/// it: literals, `\`-escaped punctuation, `\n \t \r \f \v`, `\d \w \s` and their negations,
/// `.` (anything but a newline), classes `[a-z_]` and `[^.]`, the anchors `^` and `$`, groups
/// `(...)`, `(?:...)` and named groups, alternation `|`, the quantifiers `* + ?` (lazy forms
/// too: they change which match is found, not whether one is), and counted repetition `{n}`,
/// `{n,}`, `{n,m}` up to `maxRepeat`. Everything else (backreferences, lookaround, possessive
/// quantifiers, inline flags, other escapes, nested or set-operation classes) is refused with a
/// `Refusal` naming the character. Patterns are bounded: `maxPatternScalars` characters and
/// `maxInstructions` compiled instructions (counted repetition multiplies its operand).
///
/// Characters are Unicode scalars (module names are ASCII in every published checkpoint, where
/// scalars and Swift's grapheme clusters agree).
struct ModulePattern: Sendable {
    /// The longest pattern read, in Unicode scalars.
    static let maxPatternScalars = 1_000
    /// The largest count in `{n}`, `{n,}` or `{n,m}`.
    static let maxRepeat = 32
    /// The largest compiled program; with `maxPatternScalars` it bounds matching work per
    /// character of the name.
    static let maxInstructions = 20_000

    /// Why a pattern is refused, and the 1-based character of the pattern where.
    struct Refusal: Error, Sendable {
        var message: String
        var position: Int
    }

    let text: String
    /// The program, flattened for the simulation loop: per instruction its kind, its targets,
    /// and for a consume its set (with a bitmap of the ASCII characters it takes, the fast path
    /// for module names).
    private let kinds: [Kind]
    private let targets: [(Int, Int)]
    private let sets: [CharSet]
    private let asciiLow: [UInt64]
    private let asciiHigh: [UInt64]

    private enum Kind: UInt8, Sendable { case consume, split, jump, assertStart, assertEnd, match }

    init(_ pattern: String) throws(Refusal) {
        let scalars = Array(pattern.unicodeScalars)
        if scalars.count > ModulePattern.maxPatternScalars {
            throw Refusal(message: "the pattern is \(scalars.count) characters long; the limit is \(ModulePattern.maxPatternScalars)", position: 1)
        }
        var parser = Parser(p: scalars)
        let tree = try parser.parse()
        var compiler = Compiler()
        try compiler.emit(tree)
        compiler.code.append(.match)
        guard compiler.code.count <= ModulePattern.maxInstructions else {
            throw Refusal(message: "the pattern compiles to more than \(ModulePattern.maxInstructions) instructions (counted repetition multiplies)", position: 1)
        }
        text = pattern
        var kinds: [Kind] = [], targets: [(Int, Int)] = [], sets: [CharSet] = [], low: [UInt64] = [], high: [UInt64] = []
        for instruction in compiler.code {
            var set = CharSet()
            var target = (0, 0)
            switch instruction {
            case let .consume(s, next): kinds.append(.consume); set = s; target = (next, 0)
            case let .split(a, b): kinds.append(.split); target = (a, b)
            case let .jump(a): kinds.append(.jump); target = (a, 0)
            case let .assertStart(next): kinds.append(.assertStart); target = (next, 0)
            case let .assertEnd(next): kinds.append(.assertEnd); target = (next, 0)
            case .match: kinds.append(.match)
            }
            var bits: (UInt64, UInt64) = (0, 0)
            if case .consume = instruction {
                for value in UInt32(0)..<128 where set.contains(Unicode.Scalar(UInt8(value))) {
                    if value < 64 { bits.0 |= 1 << UInt64(value) } else { bits.1 |= 1 << UInt64(value - 64) }
                }
            }
            targets.append(target)
            sets.append(set)
            low.append(bits.0)
            high.append(bits.1)
        }
        self.kinds = kinds
        self.targets = targets
        self.sets = sets
        asciiLow = low
        asciiHigh = high
    }

    /// True when the pattern matches a prefix of `name` (it is anchored at the start and need
    /// not reach the end): the semantics of Swift's `prefixMatch(in:)` and Python's `re.match`.
    ///
    /// O(name.count x instructions) time, O(instructions) memory: each step visits each
    /// instruction at most once (the generation marks), whatever the pattern. Steps on ASCII
    /// characters are cached as a lazily built DFA (each DFA state is the set of NFA states
    /// the simulation holds; Cox's "Caching the NFA to build a DFA"), so a name costs one table
    /// look-up per character once the patterns' states are known; at most `maxCachedStates`
    /// are kept, after which the plain simulation runs.
    func matchesPrefix(_ name: String) -> Bool {
        let cached = name.utf8.withContiguousStorageIfAvailable { bytes -> Bool? in
            for byte in bytes where byte >= 0x80 { return nil }
            return cache.withLock { dfa in dfa.answer(ascii: bytes) }
        }
        if let cached, let answer = cached { return answer }
        return simulate(name)
    }

    /// The simulation, filling the DFA cache on the way.
    private func simulate(_ name: String) -> Bool {
        let input = Array(name.unicodeScalars)
        var sim = Simulation(program: self, length: input.count)
        return cache.withLock { dfa in
            guard input.count > 0 else { return sim.start().contains { kinds[$0] == .match } }
            var state: Int
            if let known = dfa.start {
                state = known
            } else {
                guard let id = dfa.intern(sim.start(), program: self) else { return sim.run(input) }
                dfa.start = id
                state = id
            }
            for position in 0..<input.count {
                if dfa.accepting[state] { return true }
                if dfa.lists[state].isEmpty { return false }
                let c = input[position]
                let last = position + 1 == input.count
                if !last, c.value < 128, let known = dfa.transition(state, c.value) {
                    state = known
                    continue
                }
                let list = sim.step(dfa.lists[state], c, to: position + 1)
                if last {
                    let matched = list.contains { kinds[$0] == .match }
                    if c.value < 128 { dfa.setFinal(state, c.value, matched) }
                    return matched
                }
                guard let id = dfa.intern(list, program: self) else { return sim.run(input) }
                if c.value < 128 { dfa.setTransition(state, c.value, id) }
                state = id
            }
            return dfa.accepting[state]
        }
    }

    /// The largest cached DFA per pattern (each state: its NFA states and 128 transitions).
    static let maxCachedStates = 4_096
    /// The most NFA states the cached lists hold together (memory: 8 bytes each, twice).
    static let maxCachedEntries = 1 << 18

    private let cache = DFACache()

    /// The lazily built DFA, shared by copies of one pattern; a lock makes it safe to share.
    private final class DFACache: @unchecked Sendable {
        private let lock = NSLock()
        private var dfa = DFA()

        func withLock<T>(_ body: (inout DFA) -> T) -> T {
            lock.lock()
            defer { lock.unlock() }
            return body(&dfa)
        }
    }

    private struct DFA {
        var ids: [[Int]: Int] = [:]
        var lists: [[Int]] = []
        var accepting: [Bool] = []
        /// 128 entries per state, -1 for a transition not computed yet.
        var table: [Int32] = []
        var start: Int?
        /// NFA states held by all cached lists, bounding the cache's memory.
        var storedEntries = 0

        func transition(_ state: Int, _ c: UInt32) -> Int? {
            let t = table[state * 128 + Int(c)]
            return t < 0 ? nil : Int(t)
        }

        mutating func setTransition(_ state: Int, _ c: UInt32, _ target: Int) {
            table[state * 128 + Int(c)] = Int32(target)
        }

        /// Whether a name whose last character `c` is read in `state` matches (the step at the
        /// end of the name, where `$` holds): -1 not computed yet, 0 no, 1 yes.
        var final: [Int8] = []

        mutating func setFinal(_ state: Int, _ c: UInt32, _ matched: Bool) {
            final[state * 128 + Int(c)] = matched ? 1 : 0
        }

        /// The answer for an ASCII name from the cache alone, or nil when a step it needs has
        /// not been computed yet. One table look-up per character.
        func answer(ascii bytes: UnsafeBufferPointer<UInt8>) -> Bool? {
            guard var state = start, !bytes.isEmpty else { return nil }
            var remaining = bytes.count
            for byte in bytes {
                if accepting[state] { return true }
                if lists[state].isEmpty { return false }
                remaining -= 1
                let index = state * 128 + Int(byte)
                if remaining == 0 {
                    let known = final[index]
                    return known < 0 ? nil : known == 1
                }
                let next = table[index]
                guard next >= 0 else { return nil }
                state = Int(next)
            }
            return nil
        }

        /// The state for this NFA state list, or nil when the cache is full.
        mutating func intern(_ list: [Int], program: ModulePattern) -> Int? {
            let key = list.sorted()
            if let id = ids[key] { return id }
            guard lists.count < ModulePattern.maxCachedStates, storedEntries + key.count <= ModulePattern.maxCachedEntries else { return nil }
            storedEntries += key.count
            let id = lists.count
            ids[key] = id
            lists.append(list)
            accepting.append(list.contains { program.kinds[$0] == .match })
            table.append(contentsOf: repeatElement(-1, count: 128))
            final.append(contentsOf: repeatElement(-1, count: 128))
            return id
        }
    }

    /// One run of the Thompson simulation over a name of `length` characters.
    private struct Simulation {
        let program: ModulePattern
        let length: Int
        var marks: [Int]
        var stack: [Int] = []
        var generation = 0

        init(program: ModulePattern, length: Int) {
            self.program = program
            self.length = length
            marks = [Int](repeating: -1, count: program.kinds.count)
        }

        /// Adds `pc` and everything reachable from it without consuming (the epsilon closure)
        /// to `list`, at input position `position`. Each instruction at most once per step.
        mutating func add(_ pc: Int, to list: inout [Int], at position: Int) {
            stack.append(pc)
            while let at = stack.popLast() {
                guard marks[at] != generation else { continue }
                marks[at] = generation
                let target = program.targets[at]
                switch program.kinds[at] {
                case .jump: stack.append(target.0)
                case .split: stack.append(target.1); stack.append(target.0)
                case .assertStart: if position == 0 { stack.append(target.0) }
                case .assertEnd: if position == length { stack.append(target.0) }
                case .consume, .match: list.append(at)
                }
            }
        }

        mutating func start() -> [Int] {
            generation += 1
            var list: [Int] = []
            add(0, to: &list, at: 0)
            return list
        }

        /// The states after `list` consumes `c`, landing at `position`.
        mutating func step(_ list: [Int], _ c: Unicode.Scalar, to position: Int) -> [Int] {
            generation += 1
            var next: [Int] = []
            let value = c.value
            for pc in list where program.kinds[pc] == .consume {
                let taken: Bool
                if value < 64 {
                    taken = program.asciiLow[pc] & (1 << UInt64(value)) != 0
                } else if value < 128 {
                    taken = program.asciiHigh[pc] & (1 << UInt64(value - 64)) != 0
                } else {
                    taken = program.sets[pc].contains(c)
                }
                if taken { add(program.targets[pc].0, to: &next, at: position) }
            }
            return next
        }

        /// The plain simulation from the start, without the cache.
        mutating func run(_ input: [Unicode.Scalar]) -> Bool {
            var current = start()
            var position = 0
            while true {
                if current.contains(where: { program.kinds[$0] == .match }) { return true }
                guard position < input.count, !current.isEmpty else { return false }
                current = step(current, input[position], to: position + 1)
                position += 1
            }
        }
    }

    // MARK: The program

    private enum Instruction: Sendable {
        case consume(CharSet, next: Int)
        case split(Int, Int)
        case jump(Int)
        case assertStart(next: Int)
        case assertEnd(next: Int)
        case match
    }

    /// A set of characters one step consumes.
    private struct CharSet: Sendable {
        enum Named: Sendable { case digit, word, space }
        var ranges: [ClosedRange<UInt32>] = []
        var named: [(Named, negated: Bool)] = []
        var negated = false

        static let anyButNewline = CharSet(ranges: [0x0A...0x0A], negated: true)
        static func scalar(_ s: Unicode.Scalar) -> CharSet { CharSet(ranges: [s.value...s.value]) }

        func contains(_ s: Unicode.Scalar) -> Bool {
            var hit = ranges.contains { $0.contains(s.value) }
            if !hit {
                for (kind, negatedClass) in named where CharSet.isIn(kind, s) != negatedClass {
                    hit = true
                    break
                }
            }
            return hit != negated
        }

        static func isIn(_ kind: Named, _ s: Unicode.Scalar) -> Bool {
            switch kind {
            case .digit: return s.properties.numericType == .decimal
            case .word: return s == "_" || s.properties.isAlphabetic || s.properties.numericType == .decimal
            case .space: return s.properties.isWhitespace
            }
        }
    }

    // MARK: Parsing

    private indirect enum Node {
        case set(CharSet)
        case concat([Node])
        case alternation([Node])
        /// `min` copies, then up to `max - min` optional ones (nil: any number more).
        case repetition(Node, min: Int, max: Int?)
        case start
        case end
    }

    private struct Parser {
        let p: [Unicode.Scalar]
        var k = 0

        func refuse(_ message: String, at index: Int? = nil) -> Refusal {
            Refusal(message: message, position: (index ?? k) + 1)
        }

        var peek: Unicode.Scalar? { k < p.count ? p[k] : nil }

        mutating func parse() throws(Refusal) -> Node {
            let tree = try alternation()
            if k < p.count { throw refuse("unbalanced ')'") }
            return tree
        }

        mutating func alternation() throws(Refusal) -> Node {
            var branches = [try concatenation()]
            while peek == "|" {
                k += 1
                branches.append(try concatenation())
            }
            return branches.count == 1 ? branches[0] : .alternation(branches)
        }

        mutating func concatenation() throws(Refusal) -> Node {
            var items: [Node] = []
            while let c = peek, c != "|", c != ")" {
                items.append(try repetition())
            }
            return items.count == 1 ? items[0] : .concat(items)
        }

        mutating func repetition() throws(Refusal) -> Node {
            var node = try atom()
            var quantified = false
            while let c = peek {
                let at = k
                var bounds: (Int, Int?)
                switch c {
                case "*": bounds = (0, nil); k += 1
                case "+": bounds = (1, nil); k += 1
                case "?": bounds = (0, 1); k += 1
                case "{": bounds = try counted()
                default: return node
                }
                if quantified { throw refuse("a quantifier cannot follow another quantifier", at: at) }
                if case .start = node { throw refuse("nothing to repeat before '\(c)'", at: at) }
                if case .end = node { throw refuse("nothing to repeat before '\(c)'", at: at) }
                node = .repetition(node, min: bounds.0, max: bounds.1)
                quantified = true
                if peek == "?" { k += 1 }  // lazy: the same set of matches
                if peek == "+" { throw refuse("possessive quantifiers are not supported") }
            }
            return node
        }

        /// `{n}`, `{n,}`, `{n,m}` at the cursor.
        mutating func counted() throws(Refusal) -> (Int, Int?) {
            let open = k
            k += 1
            func number() -> Int? {
                var value = 0, digits = 0
                while let c = peek, let d = c.properties.numericType == .decimal && c.isASCII ? Int(c.value) - 48 : nil {
                    if value <= ModulePattern.maxRepeat * 10 { value = value * 10 + d }
                    digits += 1
                    k += 1
                }
                return digits == 0 ? nil : value
            }
            guard let low = number() else { throw refuse("'{' is not a counted repetition here; write '\\{' for a literal brace", at: open) }
            var high: Int? = low
            if peek == "," {
                k += 1
                high = number()
            }
            guard peek == "}" else { throw refuse("unterminated counted repetition", at: open) }
            k += 1
            if low > ModulePattern.maxRepeat || (high ?? 0) > ModulePattern.maxRepeat {
                throw refuse("counted repetition above {\(ModulePattern.maxRepeat)} is not supported", at: open)
            }
            if let high, high < low { throw refuse("counted repetition {\(low),\(high)} has its bounds reversed", at: open) }
            return (low, high)
        }

        mutating func atom() throws(Refusal) -> Node {
            guard let c = peek else { throw refuse("unexpected end of the pattern") }
            let at = k
            switch c {
            case "(":
                k += 1
                if peek == "?" {
                    k += 1
                    switch peek {
                    case ":": k += 1
                    case "=", "!": throw refuse("lookahead is not supported", at: at)
                    case "<" where k + 1 < p.count && (p[k + 1] == "=" || p[k + 1] == "!"):
                        throw refuse("lookbehind is not supported", at: at)
                    case "P" where k + 1 < p.count && p[k + 1] == "=":
                        throw refuse("backreferences are not supported", at: at)
                    case "P", "<":
                        if peek == "P" { k += 1 }
                        guard peek == "<" else { throw refuse("unsupported group syntax '(?'", at: at) }
                        k += 1
                        while let n = peek, n != ">" {
                            guard n == "_" || n.properties.isAlphabetic || n.properties.numericType == .decimal else {
                                throw refuse("invalid group name", at: k)
                            }
                            k += 1
                        }
                        guard peek == ">" else { throw refuse("unterminated group name", at: at) }
                        k += 1
                    default:
                        throw refuse("inline flags and other '(?' groups are not supported", at: at)
                    }
                }
                let inner = try alternation()
                guard peek == ")" else { throw refuse("'(' is not closed", at: at) }
                k += 1
                return inner
            case "[":
                return .set(try characterClass())
            case ".":
                k += 1
                return .set(.anyButNewline)
            case "^":
                k += 1
                return .start
            case "$":
                k += 1
                return .end
            case "\\":
                k += 1
                return .set(try escape(inClass: false, at: at))
            case "*", "+", "?":
                throw refuse("nothing to repeat before '\(c)'")
            case "{":
                throw refuse("'{' must be written '\\{' for a literal brace")
            default:
                k += 1
                return .set(.scalar(c))
            }
        }

        /// The escape after a backslash (the cursor is past it).
        mutating func escape(inClass: Bool, at start: Int) throws(Refusal) -> CharSet {
            guard let c = peek else { throw refuse("the pattern ends with a lone '\\'", at: start) }
            k += 1
            switch c {
            case "d": return CharSet(named: [(.digit, false)])
            case "D": return CharSet(named: [(.digit, true)])
            case "w": return CharSet(named: [(.word, false)])
            case "W": return CharSet(named: [(.word, true)])
            case "s": return CharSet(named: [(.space, false)])
            case "S": return CharSet(named: [(.space, true)])
            case "n": return .scalar("\n")
            case "t": return .scalar("\t")
            case "r": return .scalar("\r")
            case "f": return .scalar("\u{0C}")
            case "v": return .scalar("\u{0B}")
            case "1"..."9", "k":
                throw refuse("backreferences are not supported", at: start)
            case "b", "B", "A", "Z", "z", "G":
                throw refuse("the anchor '\\\(c)' is not supported", at: start)
            default:
                if c.isASCII && !c.properties.isAlphabetic && c.properties.numericType == nil && c.value > 0x20 {
                    return .scalar(c)
                }
                throw refuse("the escape '\\\(c)' is not supported", at: start)
            }
        }

        /// `[...]` at the cursor.
        mutating func characterClass() throws(Refusal) -> CharSet {
            let open = k
            k += 1
            var set = CharSet()
            if peek == "^" {
                set.negated = true
                k += 1
            }
            if peek == "]" { throw refuse("an empty class '[]' is not supported; write '\\]' for a literal bracket", at: open) }
            while true {
                guard let c = peek else { throw refuse("'[' is not closed", at: open) }
                if c == "]" { k += 1; return set }
                if c == "[" { throw refuse("nested classes and POSIX classes are not supported; write '\\[' for a literal bracket") }
                if (c == "&" || c == "-" || c == "~"), k + 1 < p.count, p[k + 1] == c {
                    throw refuse("class set operations ('\(c)\(c)') are not supported")
                }
                let itemStart = k
                let low: Unicode.Scalar
                if c == "\\" {
                    k += 1
                    let escaped = try escape(inClass: true, at: itemStart)
                    guard escaped.named.isEmpty, escaped.ranges.count == 1, let only = escaped.ranges.first,
                          only.lowerBound == only.upperBound, let scalar = Unicode.Scalar(only.lowerBound) else {
                        if peek == "-", k + 1 < p.count, p[k + 1] != "]" {
                            throw refuse("a range cannot start at a class escape", at: itemStart)
                        }
                        set.named += escaped.named
                        continue
                    }
                    low = scalar
                } else {
                    k += 1
                    low = c
                }
                if peek == "-", k + 1 < p.count, p[k + 1] != "]" {
                    k += 1
                    let highStart = k
                    var high = p[k]
                    if high == "\\" {
                        k += 1
                        let escaped = try escape(inClass: true, at: highStart)
                        guard escaped.named.isEmpty, let only = escaped.ranges.first, let scalar = Unicode.Scalar(only.lowerBound) else {
                            throw refuse("a range cannot end in a class escape", at: highStart)
                        }
                        high = scalar
                    } else {
                        if high == "[" { throw refuse("nested classes are not supported", at: highStart) }
                        k += 1
                    }
                    guard low.value <= high.value else { throw refuse("the range '\(low)-\(high)' is reversed", at: itemStart) }
                    set.ranges.append(low.value...high.value)
                } else {
                    set.ranges.append(low.value...low.value)
                }
            }
        }
    }

    // MARK: Compiling (Thompson's construction, as a Pike-style program)

    private struct Compiler {
        var code: [Instruction] = []

        mutating func check() throws(Refusal) {
            if code.count > ModulePattern.maxInstructions {
                throw Refusal(message: "the pattern compiles to more than \(ModulePattern.maxInstructions) instructions (counted repetition multiplies)", position: 1)
            }
        }

        /// Appends the code for `node`; on exit, control continues at `code.count`.
        mutating func emit(_ node: Node) throws(Refusal) {
            try check()
            switch node {
            case let .set(set):
                code.append(.consume(set, next: code.count + 1))
            case .start:
                code.append(.assertStart(next: code.count + 1))
            case .end:
                code.append(.assertEnd(next: code.count + 1))
            case let .concat(items):
                for item in items { try emit(item) }
            case let .alternation(branches):
                // split L1, next; L1: a; jump end; next: split L2, ...; last branch falls through.
                var jumps: [Int] = []
                for (index, branch) in branches.enumerated() {
                    if index < branches.count - 1 {
                        let split = code.count
                        code.append(.split(split + 1, 0))
                        try emit(branch)
                        jumps.append(code.count)
                        code.append(.jump(0))
                        code[split] = .split(split + 1, code.count)
                    } else {
                        try emit(branch)
                    }
                }
                for jump in jumps { code[jump] = .jump(code.count) }
            case let .repetition(inner, min, max):
                var lastStart = code.count
                for _ in 0..<min {
                    lastStart = code.count
                    try emit(inner)
                }
                if let max {
                    // Up to max - min optional copies: split L, end; L: inner; ...
                    var splits: [Int] = []
                    for _ in min..<max {
                        splits.append(code.count)
                        code.append(.split(code.count + 1, 0))
                        try emit(inner)
                    }
                    for split in splits { code[split] = .split(split + 1, code.count) }
                } else if min >= 1 {
                    // The last copy loops back to itself: split last, out. No extra copy, so
                    // nested `+` does not double the program per level.
                    code.append(.split(lastStart, code.count + 1))
                } else {
                    // loop: split body, out; body: inner; jump loop; out:
                    let loop = code.count
                    code.append(.split(loop + 1, 0))
                    try emit(inner)
                    code.append(.jump(loop))
                    code[loop] = .split(loop + 1, code.count)
                }
            }
        }
    }
}
