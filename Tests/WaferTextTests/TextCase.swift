import Foundation

/// One text-driven test: a file under Tests/Fixtures/text holding its command (`RUN:`), its
/// expectations (`CHECK:`, `ERROR:`, `EXPECT-STDOUT:`, ...) and usually its own input. The format
/// is described in docs/testing.md; `TextCase.parse` reads it, `TextCase.check` judges a run.
struct TextCase {
    /// A directive and the 1-based line of the case file it came from (for failure messages).
    struct Directive: Equatable {
        enum Kind: String, CaseIterable {
            case run = "RUN"
            case exit = "EXIT"
            case check = "CHECK", checkNext = "CHECK-NEXT", checkNot = "CHECK-NOT", checkEmpty = "CHECK-EMPTY"
            case stderr = "STDERR", stderrNext = "STDERR-NEXT", stderrNot = "STDERR-NOT", stderrEmpty = "STDERR-EMPTY"
            case error = "ERROR", warning = "WARNING", note = "NOTE"
            case expectStdout = "EXPECT-STDOUT", expectStderr = "EXPECT-STDERR"
        }
        var kind: Kind
        var text: String
        var line: Int
    }

    /// An exact expectation: the output after `EXPECT-STDOUT:` / `EXPECT-STDERR:`, one `# | `
    /// line per output line; `range` is where those lines sit in the case file (0-based, for the
    /// update mode).
    struct ExactBlock {
        var kind: Directive.Kind
        var lines: [String]
        var directiveLine: Int
        var range: Range<Int>
    }

    /// The case file's lines up to the first `#--- NAME` marker.
    var head: [String]
    var directives: [Directive]
    var blocks: [ExactBlock]
    /// Files after `#--- NAME` markers (LLVM `split-file` style), written into `%t` before the run.
    var splitFiles: [(name: String, contents: String)]

    /// The prefix every expected-output line of an exact block carries.
    static let blockPrefix = "# |"

    /// Reads a case file's text. Directives are comment lines `# KEYWORD: text` (`#` then optional
    /// spaces); unknown keywords are ordinary comments. Throws on a case with no or two RUN lines,
    /// or an exact block without lines.
    static func parse(_ text: String) throws -> TextCase {
        var lines = text.components(separatedBy: "\n")
        if lines.last == "" { lines.removeLast() }
        var head: [String] = []
        var splitFiles: [(name: String, contents: String)] = []
        var current: (name: String, lines: [String])?
        for line in lines {
            if line.hasPrefix("#--- ") {
                if let c = current { splitFiles.append((c.name, c.lines.map { $0 + "\n" }.joined())) }
                current = (String(line.dropFirst(5)).trimmingCharacters(in: .whitespaces), [])
            } else if current != nil {
                current!.lines.append(line)
            } else {
                head.append(line)
            }
        }
        if let c = current { splitFiles.append((c.name, c.lines.map { $0 + "\n" }.joined())) }

        var directives: [Directive] = []
        var blocks: [ExactBlock] = []
        var index = 0
        while index < head.count {
            guard let directive = directive(in: head[index], line: index + 1) else { index += 1; continue }
            if directive.kind == .expectStdout || directive.kind == .expectStderr {
                var end = index + 1
                var block: [String] = []
                while end < head.count, head[end].hasPrefix(blockPrefix) {
                    let rest = head[end].dropFirst(blockPrefix.count)
                    block.append(String(rest.hasPrefix(" ") ? rest.dropFirst() : rest))
                    end += 1
                }
                blocks.append(ExactBlock(kind: directive.kind, lines: block, directiveLine: index + 1, range: (index + 1)..<end))
                directives.append(directive)
                index = end
                continue
            }
            directives.append(directive)
            index += 1
        }
        let runs = directives.filter { $0.kind == .run }
        guard runs.count == 1 else { throw CaseError("a case needs exactly one '# RUN:' line, found \(runs.count)") }
        return TextCase(head: head, directives: directives, blocks: blocks, splitFiles: splitFiles)
    }

    /// The directive on `text`, if it is one: `#`, optional spaces, a known keyword, `:`.
    static func directive(in text: String, line: Int) -> Directive? {
        guard text.hasPrefix("#"), !text.hasPrefix(blockPrefix), !text.hasPrefix("#---") else { return nil }
        let body = text.dropFirst().drop { $0 == " " }
        guard let colon = body.firstIndex(of: ":"),
              let kind = Directive.Kind(rawValue: String(body[..<colon])) else { return nil }
        var rest = body[body.index(after: colon)...]
        if rest.hasPrefix(" ") { rest = rest.dropFirst() }
        return Directive(kind: kind, text: String(rest).trimmingCharacters(in: .whitespaces), line: line)
    }

    /// The RUN line's words, split on spaces; single or double quotes keep spaces inside a word.
    static func words(_ command: String) -> [String] {
        var words: [String] = [], word = "", quote: Character?, inWord = false
        for c in command {
            if let q = quote {
                if c == q { quote = nil } else { word.append(c) }
            } else if c == "'" || c == "\"" {
                quote = c; inWord = true
            } else if c == " " || c == "\t" {
                if inWord { words.append(word); word = ""; inWord = false }
            } else {
                word.append(c); inWord = true
            }
        }
        if inWord { words.append(word) }
        return words
    }

    /// The exit status the case expects: `EXIT:` if given, else 1 when it expects an error, else 0.
    var expectedStatus: Int32? {
        if let exit = directives.first(where: { $0.kind == .exit }) { return Int32(exit.text) }
        return directives.contains { $0.kind == .error } ? 1 : 0
    }

    /// Every expectation the run of this case failed, as messages naming the case file's line;
    /// empty when it passed. `substitute` turns `%s` and `%t` in expectations into the paths the
    /// run used; `normalize` turns those paths in the output back into `%s` and `%t`.
    func failures(status: Int32, stdout: String, stderr: String,
                  substitute: (String) -> String, normalize: (String) -> String) -> [String] {
        var failures: [String] = []
        let statusLine = (directives.first { $0.kind == .exit } ?? directives.first { $0.kind == .run })?.line ?? 1
        if let expected = expectedStatus, expected != status {
            failures.append("\(statusLine): exit status \(status), expected \(expected)")
        } else if expectedStatus == nil {
            failures.append("\(statusLine): the EXIT line is not a number")
        }
        let outLines = Self.lines(stdout), errLines = Self.lines(stderr)
        failures += FileCheck.run(directives.filter { [.check, .checkNext, .checkNot, .checkEmpty].contains($0.kind) },
                                  on: outLines, stream: "stdout", substitute: substitute)
        failures += FileCheck.run(directives.filter { [.stderr, .stderrNext, .stderrNot, .stderrEmpty].contains($0.kind) },
                                  on: errLines, stream: "stderr", substitute: substitute)
        failures += Diagnostics.check(directives, stderr: errLines, substitute: substitute)
        for block in blocks {
            let actual = Self.lines(normalize(block.kind == .expectStdout ? stdout : stderr))
            if let difference = Self.firstDifference(expected: block.lines, actual: actual) {
                failures.append("\(block.directiveLine): \(block.kind.rawValue) differs at output line \(difference)")
            }
        }
        return failures
    }

    /// The case file's text with each exact block replaced by the actual output (update mode).
    func updated(original: String, stdout: String, stderr: String, normalize: (String) -> String) -> String {
        var lines = original.components(separatedBy: "\n")
        for block in blocks.sorted(by: { $0.range.lowerBound > $1.range.lowerBound }) {
            let actual = Self.lines(normalize(block.kind == .expectStdout ? stdout : stderr))
            lines.replaceSubrange(block.range, with: actual.map { $0.isEmpty ? Self.blockPrefix : "\(Self.blockPrefix) \($0)" })
        }
        return lines.joined(separator: "\n")
    }

    /// `text` split into lines, without the empty piece after a final newline.
    static func lines(_ text: String) -> [String] {
        var lines = text.components(separatedBy: "\n")
        if lines.last == "" { lines.removeLast() }
        return lines
    }

    /// The first 1-based line where two texts differ, with both versions; nil when equal.
    static func firstDifference(expected: [String], actual: [String]) -> String? {
        for index in 0..<max(expected.count, actual.count) {
            let e = index < expected.count ? expected[index] : "<end of expected block>"
            let a = index < actual.count ? actual[index] : "<end of output>"
            if e != a { return "\(index + 1):\n    expected: \(e)\n    actual:   \(a)" }
        }
        return nil
    }
}

/// A malformed case file.
struct CaseError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}

/// FileCheck's core, on whole lines: `CHECK` finds its pattern on a later line, `CHECK-NEXT` on
/// the line right after the previous match, `CHECK-EMPTY` wants that line empty, and `CHECK-NOT`
/// forbids its pattern between the previous match and the next one (or the end). A pattern is a
/// substring; `{{regex}}` inside it is a regular expression.
enum FileCheck {
    static func run(_ directives: [TextCase.Directive], on lines: [String], stream: String,
                    substitute: (String) -> String) -> [String] {
        var failures: [String] = []
        var next = 0                 // the first line a CHECK may match
        var last: Int?               // the line of the previous match
        var pendingNots: [TextCase.Directive] = []
        func checkNots(upTo end: Int) {
            for not in pendingNots {
                let pattern = Pattern(substitute(not.text))
                if let hit = (next..<max(next, end)).first(where: { pattern.matches(lines[$0]) }) {
                    failures.append("\(not.line): \(not.kind.rawValue): '\(not.text)' found in \(stream) line \(hit + 1): \(lines[hit])")
                }
            }
            pendingNots = []
        }
        for directive in directives {
            let pattern = Pattern(substitute(directive.text))
            switch directive.kind {
            case .checkNot, .stderrNot:
                pendingNots.append(directive)
            case .check, .stderr:
                guard let hit = (next..<max(next, lines.count)).first(where: { pattern.matches(lines[$0]) }) else {
                    failures.append("\(directive.line): \(directive.kind.rawValue): '\(directive.text)' not found in \(stream) after line \(next)")
                    return failures
                }
                checkNots(upTo: hit)
                last = hit; next = hit + 1
            case .checkNext, .stderrNext, .checkEmpty, .stderrEmpty:
                let target = (last ?? -1) + 1
                let empty = directive.kind == .checkEmpty || directive.kind == .stderrEmpty
                let found = target < lines.count ? lines[target] : nil
                guard let line = found, empty ? line.isEmpty : pattern.matches(line) else {
                    let what = empty ? "an empty line" : "'\(directive.text)'"
                    failures.append("\(directive.line): \(directive.kind.rawValue): expected \(what) on \(stream) line \(target + 1), found: \(found ?? "<end of output>")")
                    return failures
                }
                checkNots(upTo: target)
                last = target; next = target + 1
            default:
                break
            }
        }
        checkNots(upTo: lines.count)
        return failures
    }

    /// A substring pattern with `{{regex}}` parts.
    struct Pattern {
        let literal: String?
        let regex: NSRegularExpression?

        init(_ text: String) {
            guard text.contains("{{") else { literal = text; regex = nil; return }
            var source = "", rest = Substring(text)
            while let open = rest.range(of: "{{") {
                source += NSRegularExpression.escapedPattern(for: String(rest[..<open.lowerBound]))
                let afterOpen = rest[open.upperBound...]
                guard let close = afterOpen.range(of: "}}") else { rest = rest[open.lowerBound...]; break }
                source += "(?:" + afterOpen[..<close.lowerBound] + ")"
                rest = afterOpen[close.upperBound...]
            }
            source += NSRegularExpression.escapedPattern(for: String(rest))
            literal = nil
            regex = try? NSRegularExpression(pattern: source)
        }

        func matches(_ line: String) -> Bool {
            if let literal { return line.contains(literal) }
            guard let regex else { return false }
            return regex.firstMatch(in: line, range: NSRange(line.startIndex..., in: line)) != nil
        }
    }
}

/// `ERROR:`, `WARNING:` and `NOTE:`: the diagnostics of each severity a case names, in order, and
/// no others of that severity. A stderr line `LOCATION: error: MESSAGE` (LOCATION is `FILE:LINE:COL`
/// or the program name; notes may have none) is written `ERROR: LOCATION: MESSAGE`, the severity
/// word left out because the keyword says it; `{{regex}}` parts are allowed.
enum Diagnostics {
    static let severities: [(TextCase.Directive.Kind, String)] = [(.error, "error"), (.warning, "warning"), (.note, "note")]

    /// The diagnostic on `line`: its severity and the line without the severity word.
    static func parse(_ line: String) -> (severity: String, text: String)? {
        for (_, word) in severities {
            if line.hasPrefix("\(word): ") { return (word, String(line.dropFirst(word.count + 2))) }
            if let range = line.range(of: ": \(word): ") {
                return (word, String(line[..<range.lowerBound]) + ": " + String(line[range.upperBound...]))
            }
        }
        return nil
    }

    static func check(_ directives: [TextCase.Directive], stderr: [String], substitute: (String) -> String) -> [String] {
        var failures: [String] = []
        let parsed = stderr.compactMap(parse)
        for (kind, word) in severities {
            let expected = directives.filter { $0.kind == kind }
            guard !expected.isEmpty else { continue }
            let actual = parsed.filter { $0.severity == word }.map(\.text)
            for (index, directive) in expected.enumerated() {
                let pattern = substitute(directive.text)
                guard index < actual.count else {
                    failures.append("\(directive.line): \(kind.rawValue): '\(pattern)' was not reported (only \(actual.count) \(word)s)")
                    continue
                }
                if !matchesWhole(pattern, actual[index]) {
                    failures.append("\(directive.line): \(kind.rawValue) \(index + 1) differs:\n    expected: \(pattern)\n    actual:   \(actual[index])")
                }
            }
            for extra in actual.dropFirst(expected.count) {
                failures.append("\(expected[expected.count - 1].line): an unexpected \(word) after the last \(kind.rawValue): \(extra)")
            }
        }
        return failures
    }

    /// True when `line` is all of `pattern` (its `{{regex}}` parts included).
    static func matchesWhole(_ pattern: String, _ line: String) -> Bool {
        guard pattern.contains("{{") else { return pattern == line }
        return FileCheck.Pattern("{{^}}" + pattern + "{{$}}").matches(line)
    }
}
