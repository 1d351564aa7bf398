import Foundation
import Testing
import WaferTestSupport

/// The shape rules of docs/architecture.md ("House rules") that a reviewer would otherwise check
/// by eye: no function, initializer, subscript or computed property in Sources is longer than
/// `maxFunctionLines` (nested functions count toward the function that holds them), and the
/// driver module stays under `maxDriverLines`. Reads the sources as text; no build needed.
@Suite struct SourceShapeTests {
    static let maxFunctionLines = 120
    static let maxDriverLines = 2_000

    /// Every Swift file under Sources/, relative path and text, in path order.
    static func sources() throws -> [(path: String, text: String)] {
        let root = TestPaths.root.appendingPathComponent("Sources")
        guard let walker = FileManager.default.enumerator(atPath: root.path) else { return [] }
        var files: [(String, String)] = []
        for case let relative as String in walker where relative.hasSuffix(".swift") {
            let text = try String(contentsOfFile: root.appendingPathComponent(relative).path, encoding: .utf8)
            files.append(("Sources/" + relative, text))
        }
        return files.sorted { $0.0 < $1.0 }
    }

    @Test func noFunctionIsLongerThanTheLimit() throws {
        var long: [String] = []
        for file in try Self.sources() {
            for body in SwiftBodies.functionBodies(file.text) where body.lines > Self.maxFunctionLines {
                long.append("\(file.path):\(body.line): \(body.lines) lines: \(body.declaration)")
            }
        }
        #expect(long.isEmpty, "functions over \(Self.maxFunctionLines) lines (split them):\n\(long.joined(separator: "\n"))")
    }

    @Test func theDriverStaysSmall() throws {
        let lines = try Self.sources().filter { $0.path.hasPrefix("Sources/WaferMap/") }
            .reduce(0) { $0 + $1.text.split(separator: "\n", omittingEmptySubsequences: false).count - 1 }
        #expect(lines > 0)
        #expect(lines < Self.maxDriverLines, "Sources/WaferMap has \(lines) lines; its limit is \(Self.maxDriverLines)")
    }

    /// The scanner itself, on text whose answer is known: braces inside strings, interpolations,
    /// raw and multi-line strings and comments do not count; nested functions count toward the
    /// outer one; a protocol requirement without a body is not a function body.
    @Test func theScannerMeasuresBodies() {
        let text = """
        protocol P {
            func required()
        }
        struct S {
            /// a doc comment with a brace {
            func outer() -> Int {
                let a = "}\\(["{": 1].count)}"
                let b = #"}}"#
                /* } */ // }
                func inner() {
                    print(\"\"\"
                    }}}
                    \"\"\")
                }
                return a.count + b.count
            }
            var computed: Int {
                1
            }
            init(x: Int) { }
        }
        """
        let bodies = SwiftBodies.functionBodies(text)
        #expect(bodies.map(\.declaration) == ["func outer() -> Int {", "func inner() {", "var computed: Int {", "init(x: Int) { }"])
        #expect(bodies.map(\.lines) == [11, 5, 3, 1])
        #expect(bodies.map(\.line) == [6, 10, 17, 20])
    }
}

/// A small lexer for Swift source that finds the bodies of functions, initializers, subscripts
/// and computed properties and counts their lines. It knows comments (nested block comments
/// too), string literals (single-line, multi-line, raw with `#`s, and interpolations that hold
/// code and strings of their own), so braces inside them do not count. O(length of the text).
enum SwiftBodies {
    struct Body: Equatable {
        /// 1-based line of the declaration.
        var line: Int
        /// Lines from the declaration through the closing brace, both included.
        var lines: Int
        /// The declaration's line, trimmed.
        var declaration: String
    }

    /// One `{` or `}` in code (not in a comment or string), with its line and nesting depth.
    struct Brace {
        var open: Bool
        var line: Int
    }

    static func functionBodies(_ text: String) -> [Body] {
        let chars = Array(text.unicodeScalars)
        let braces = codeBraces(chars)
        let lineTexts = text.split(separator: "\n", omittingEmptySubsequences: false).map { $0.trimmingCharacters(in: .whitespaces) }
        let declarationLines = Set(lineTexts.indices.filter { isDeclaration(lineTexts[$0]) }.map { $0 + 1 })
        var bodies: [Body] = []
        for line in declarationLines.sorted() {
            // The body opens at the first code brace on the declaration's line or the next few,
            // unless another declaration comes first (a requirement without a body).
            guard let openIndex = braces.firstIndex(where: { $0.line >= line }), braces[openIndex].open else { continue }
            let openLine = braces[openIndex].line
            if openLine > line + 8 || declarationLines.contains(where: { $0 > line && $0 <= openLine }) { continue }
            var depth = 0
            var closeLine: Int?
            for brace in braces[openIndex...] {
                depth += brace.open ? 1 : -1
                if depth == 0 { closeLine = brace.line; break }
            }
            guard let closeLine else { continue }
            bodies.append(Body(line: line, lines: closeLine - line + 1, declaration: lineTexts[line - 1]))
        }
        return bodies
    }

    /// A line that starts a function-like declaration with a body of statements.
    static func isDeclaration(_ line: String) -> Bool {
        var words = Substring(line)
        let modifiers = ["public", "private", "fileprivate", "internal", "package", "open", "static", "class", "final", "override",
                         "mutating", "nonmutating", "nonisolated", "convenience", "required", "dynamic", "lazy"]
        while true {
            if words.hasPrefix("@") {
                // An attribute, with arguments in parentheses or not.
                guard let end = words.firstIndex(where: { $0 == " " || $0 == "(" }) else { return false }
                words = words[end...]
                if words.hasPrefix("(") {
                    guard let close = words.firstIndex(of: ")") else { return false }
                    words = words[words.index(after: close)...]
                }
                words = words.drop(while: { $0 == " " })
                continue
            }
            if let modifier = modifiers.first(where: { words.hasPrefix($0 + " ") || words.hasPrefix($0 + "(") }) {
                words = words.dropFirst(modifier.count)
                if words.hasPrefix("(") { words = words.drop(while: { $0 != ")" }).dropFirst() }
                words = words.drop(while: { $0 == " " })
                continue
            }
            break
        }
        if words.hasPrefix("func ") || words.hasPrefix("deinit") || words.hasPrefix("subscript(") || words.hasPrefix("subscript<") { return true }
        if words.hasPrefix("init(") || words.hasPrefix("init?(") || words.hasPrefix("init!(") || words.hasPrefix("init<") { return true }
        // A computed property: `var name: Type {` with no initial value.
        if words.hasPrefix("var ") && words.hasSuffix("{") && !words.contains("=") && words.contains(":") { return true }
        return false
    }

    /// The braces of `chars` that are code, in order.
    static func codeBraces(_ chars: [Unicode.Scalar]) -> [Brace] {
        enum Context { case code(parens: Int), string(hashes: Int, multiline: Bool) }
        var stack: [Context] = [.code(parens: 0)]
        var braces: [Brace] = []
        var line = 1
        var i = 0
        func at(_ offset: Int) -> Unicode.Scalar? { i + offset < chars.count ? chars[i + offset] : nil }
        func hashes(from start: Int) -> Int {
            var n = 0
            while start + n < chars.count && chars[start + n] == "#" { n += 1 }
            return n
        }
        while i < chars.count {
            let c = chars[i]
            if c == "\n" { line += 1 }
            switch stack[stack.count - 1] {
            case .code(let parens):
                if c == "/" && at(1) == "/" {
                    while i < chars.count && chars[i] != "\n" { i += 1 }
                    continue
                }
                if c == "/" && at(1) == "*" {
                    var depth = 0
                    while i < chars.count {
                        if chars[i] == "\n" { line += 1 }
                        if chars[i] == "/" && at(1) == "*" { depth += 1; i += 2; continue }
                        if chars[i] == "*" && at(1) == "/" { depth -= 1; i += 2; if depth == 0 { break }; continue }
                        i += 1
                    }
                    continue
                }
                let n = c == "#" ? hashes(from: i) : 0
                if chars.indices.contains(i + n) && chars[i + n] == "\"" {
                    let multiline = at(n + 1) == "\"" && at(n + 2) == "\""
                    stack.append(.string(hashes: n, multiline: multiline))
                    i += n + (multiline ? 3 : 1)
                    continue
                }
                if c == "{" { braces.append(Brace(open: true, line: line)) }
                if c == "}" { braces.append(Brace(open: false, line: line)) }
                if c == "(" { stack[stack.count - 1] = .code(parens: parens + 1) }
                if c == ")" {
                    if parens == 0 && stack.count > 1 { stack.removeLast() } else { stack[stack.count - 1] = .code(parens: parens - 1) }
                }
                i += 1
            case .string(let n, let multiline):
                if c == "\\" {
                    // An escape, or an interpolation `\(`, `\#(` in a raw string with one `#`.
                    if hashes(from: i + 1) == n && at(n + 1) == "(" {
                        stack.append(.code(parens: 0))
                        i += n + 2
                        continue
                    }
                    i += n == 0 ? 2 : 1
                    if n == 0 && i - 1 < chars.count && chars[i - 1] == "\n" { line += 1 }
                    continue
                }
                let closes = multiline ? (c == "\"" && at(1) == "\"" && at(2) == "\"") : c == "\""
                let quoteLength = multiline ? 3 : 1
                if closes && hashes(from: i + quoteLength) >= n {
                    stack.removeLast()
                    i += quoteLength + n
                    continue
                }
                i += 1
            }
        }
        return braces
    }
}
