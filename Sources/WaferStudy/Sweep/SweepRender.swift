import WaferReport
import WaferPerf
import WaferSupport

extension SweepReport {
    /// The widest line the table output writes (columns, legend, notes and footnotes wrap
    /// below it), in characters.
    public static let maxLineWidth = 119

    /// The report in the header's format (`--format`). O(rows).
    public func render() -> String {
        switch header.format {
        case .table: return text(top: header.top)
        case .json: return json()
        case .csv: return csv()
        }
    }

    /// The ranked table: the best `top` rows and every Pareto row, the precision legend, each
    /// printed rank's mapping and flags, what extra wafers buy, and the skipped configurations.
    /// Every line is at most `maxLineWidth` characters. O(rows).
    public func text(top: Int) -> String {
        var out = "sweep       \(model) on \(target): \(Units.count(rows.count, "mapping")) compiled, best tokens/s per user first\n"
        out += "            * = Pareto front: no other mapping has at least the tokens/s per user and the tokens/s per wafer\n"
        out += "            on no more wafers, and more of one or fewer wafers\n\n"
        var t = TextTable([("rank", .right), ("", .left), ("wafers", .right), ("batch", .right), ("context", .right), ("precision", .left),
                           ("tokens/s/user", .right), ("range", .right), ("tokens/s", .right), ("tokens/s/wafer", .right), ("first token ms", .right)])
        let shown = rows.enumerated().filter { $0.offset < top || $0.element.pareto }
        for (i, r) in shown {
            t.add(["\(i + 1)", r.pareto ? "*" : "", "\(r.wafers)", "\(r.batch)", "\(r.contextTokens)", r.precisionLabel, Units.fixed(r.tokensPerS, digits: 1),
                   "\(Units.fixed(r.tokensPerSLow, digits: 0))-\(Units.fixed(r.tokensPerSHigh, digits: 0))", Units.fixed(r.aggregateTokensPerS, digits: 1),
                   Units.fixed(r.aggregateTokensPerSPerWafer, digits: 1), "\(Units.fixed(r.timeToFirstTokenMs, digits: 1))-\(Units.fixed(r.timeToFirstTokenSerialMs, digits: 1))"])
        }
        out += t.render(indent: "")
        out += "\ntokens/s: aggregate over all sequences in flight (counted in the mapping lines); first token: pipelined-serial\n"
        if !legend.isEmpty {
            out += "\nprecision labels:\n" + legend.map { Self.wrap("  \($0.label) = \($0.precision)", indent: "    ") }.joined()
        }
        out += "\nmappings (flags reproduce a row with `wafermap compile`):\n"
        for (i, r) in shown {
            out += Self.wrap("  \(i + 1): \(r.mapping), \(r.sequencesInFlight) in flight; \(r.flags)", indent: "      ")
        }
        out += Self.wrapLines(SpeculativeEstimate.sweepLines(shown.map { ($0.offset + 1, $0.element.speculative) }))
        // What extra wafers buy, at the first batch and context of the axes (one deployment).
        let batch = rows.map(\.batch).min() ?? 1, context = rows.map(\.contextTokens).min() ?? 0
        out += Self.wrapLines(WaferGainNote.text(rows.filter { $0.batch == batch && $0.contextTokens == context }.map {
            .init(wafers: $0.wafers, tokensPerS: $0.tokensPerS, aggregateTokensPerS: $0.aggregateTokensPerS, mapping: $0.mapping,
                  allreducePercent: $0.allreducePercent, macPercent: $0.macPercent)
        }))
        if !skipped.isEmpty { out += "\nskipped:\n" + skipped.map { Self.wrap("  \($0)", indent: "    ") }.joined() }
        return out
    }

    public func json() -> String { JSONOutput.render(self) }

    /// The CSV columns, units in the names.
    public static let csvColumns = ["rank", "pareto", "wafers", "batch", "context_tokens", "precision_label", "precision", "mapping",
                                    "tokens_per_s_per_user", "tokens_per_s_per_user_low", "tokens_per_s_per_user_high", "aggregate_tokens_per_s",
                                    "aggregate_tokens_per_s_per_wafer", "sequences_in_flight", "microseconds_per_token", "first_token_ms",
                                    "first_token_serial_ms", "speculative_tokens_per_s_per_user", "flags", "pass_options"]

    /// Every row (not only `top`), best first: a header line, then one line per mapping;
    /// fields quoted as RFC 4180 says (commas, quotes, line breaks), lines ended CRLF. O(rows).
    public func csv() -> String {
        func f(_ x: Double) -> String { Units.fixed(x, digits: 3) }
        var lines = [Self.csvColumns.joined(separator: ",")]
        for (i, r) in rows.enumerated() {
            let fields = ["\(i + 1)", r.pareto ? "true" : "false", "\(r.wafers)", "\(r.batch)", "\(r.contextTokens)", r.precisionLabel, r.precision, r.mapping,
                          f(r.tokensPerS), f(r.tokensPerSLow), f(r.tokensPerSHigh), f(r.aggregateTokensPerS), f(r.aggregateTokensPerSPerWafer),
                          "\(r.sequencesInFlight)", f(r.microsecondsPerToken), f(r.timeToFirstTokenMs), f(r.timeToFirstTokenSerialMs),
                          r.speculative.map { f($0.speculativeTokensPerS) } ?? "", r.flags, r.passOptions.joined(separator: " ")]
            lines.append(fields.map(Self.csvField).joined(separator: ","))
        }
        return lines.map { $0 + "\r\n" }.joined()
    }

    /// One CSV field: quoted (quotes doubled) when it holds a comma, quote, CR or LF. O(length).
    static func csvField(_ s: String) -> String {
        guard s.contains(where: { $0 == "," || $0 == "\"" || $0 == "\n" || $0 == "\r" }) else { return s }
        return "\"" + s.replacingOccurrences(of: "\"", with: "\"\"") + "\""
    }

    /// `line` broken at spaces into lines of at most `maxLineWidth` characters, later lines
    /// indented by `indent`, broken at a space (never between a flag and its value; a word longer
    /// than a line is cut). Spaces inside a line are kept. Each line ends in a newline. O(length).
    static func wrap(_ line: String, indent: String) -> String {
        var out = "", rest = Array(line)
        let lead = rest.prefix { $0 == " " }.count
        while rest.count > maxLineWidth {
            // The last space that fits, past the indentation, not between a flag and its value.
            let floor = out.isEmpty ? lead : indent.count
            var cut = -1
            for i in stride(from: maxLineWidth, to: floor, by: -1) where rest[i] == " " && rest[i - 1] != " " {
                let before = rest[..<i].split(separator: " ").last, after = rest[(i + 1)...].prefix { $0 != " " }
                if let before, before.starts(with: "--"), !after.starts(with: "--") { continue }
                cut = i
                break
            }
            let head = cut > 0 ? rest[..<cut] : rest[..<maxLineWidth]
            out += String(head) + "\n"
            rest = Array(indent) + rest[(cut > 0 ? cut + 1 : maxLineWidth)...].drop { $0 == " " }
        }
        return out + String(rest) + "\n"
    }

    /// Every line of `text` wrapped (`wrap`, continuation indented 13 columns like the notes). O(length).
    static func wrapLines(_ text: String) -> String {
        guard !text.isEmpty else { return "" }
        var lines = text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        if lines.last == "" { lines.removeLast() }
        return lines.map { $0.count <= maxLineWidth ? $0 + "\n" : wrap($0, indent: String(repeating: " ", count: 13)) }.joined()
    }
}
