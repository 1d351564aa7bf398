import WaferSupport

extension ServeReport {
    /// The ranked table: the best `top` rows and every Pareto row, the replica flags of each
    /// printed row, the closest misses when nothing meets the targets, and the assumptions.
    /// O(rows).
    public func text(top: Int, model modelPath: String) -> String {
        var out = "serve       \(model) on \(target): \(traffic)"
        var targets: [String] = []
        if let x = minTokensPerSPerUser { targets.append(">= \(Units.fixed(x, digits: 1)) tokens/s per user") }
        if let t = maxTimeToFirstTokenMs { targets.append("first token <= \(Units.fixed(t, digits: 1)) ms") }
        out += targets.isEmpty ? "\n" : "; targets \(targets.joined(separator: ", "))\n"
        let meeting = rows.filter(\.meetsTargets).count
        out += "            \(Units.count(replicasCompiled.count, "replica")) compiled, \(Units.count(rows.count, "deployment")) priced, \(meeting) meet the targets; "
        out += "fewest wafers first; * = Pareto front (tokens/s per user, aggregate per wafer, wafers)\n\n"
        let shown = rows.enumerated().filter { ($0.offset < top || $0.element.pareto) && ($0.element.meetsTargets || meeting == 0) }
        let precisions = Set(rows.map(\.precision)).count > 1
        var columns: [(String, TextTable.Alignment)] = [("rank", .right), ("", .left), ("wafers", .right), ("replicas", .right), ("seq", .right), ("batch", .right)]
        if precisions { columns.append(("precision", .left)) }
        var t = TextTable(columns + [("prefill", .left),
                           ("tokens/s/user (range)", .right), ("aggregate", .right), ("/wafer", .right), ("first token ms", .right), ("wafer-h/M", .right)])
        for (i, r) in shown {
            let replicas = r.prefillWafers > 0 ? "\(r.replicas)x\(r.wafersPerReplica)+\(r.prefillWafers)" : "\(r.replicas)x\(r.wafersPerReplica)"
            let precision = precisions ? [r.precision.hasPrefix("as in the model") ? "model" : String(r.precision.prefix(24))] : []
            t.add(["\(i + 1)", r.pareto ? "*" : "", "\(r.wafersTotal)", replicas, "\(r.usersPerReplica)/\(r.sequencesPerReplica)", "\(r.microBatch)"] + precision + [r.prefill,
                   "\(Units.fixed(r.tokensPerSPerUser, digits: 1)) (\(Units.fixed(r.tokensPerSPerUserLow, digits: 0))-\(Units.fixed(r.tokensPerSPerUserHigh, digits: 0)))",
                   Units.grouped(Int(r.aggregateTokensPerS.rounded())), Units.fixed(r.aggregateTokensPerSPerWafer, digits: 1),
                   "\(Units.grouped(Int(r.timeToFirstTokenMs.rounded())))-\(Units.grouped(Int(r.timeToFirstTokenMsHigh.rounded())))", Units.decimal(r.waferHoursPerMillionTokens, significant: 3)])
        }
        out += t.render(indent: "")
        out += "\nwafers: in all (replicas x wafers per replica [+ prefill pool]); seq: users per replica / KV caches placed; batch: the micro-batch\n"
        out += "aggregate: output tokens/s of the whole deployment; wafer-h/M: wafer-hours per million output tokens\n"
        if meeting == 0, !rows.isEmpty {
            out += "\nno deployment meets the targets; the closest, by what they miss:\n"
            for r in rows.prefix(3) { out += "  \(r.wafersTotal) wafers, \(r.flags), prefill \(r.prefill): \(r.misses.joined(separator: "; "))\n" }
        }
        out += "\nreplica flags (wafermap compile \(modelPath) ...):\n"
        var ranksByFlags: [(flags: String, ranks: [Int], saturated: Bool)] = []
        for (i, r) in shown {
            let flags = r.flags + (r.speculativeGain.map { "  (speculative decoding: x\(Units.fixed($0, digits: 2)) per user)" } ?? "")
            if let k = ranksByFlags.firstIndex(where: { $0.flags == flags }) { ranksByFlags[k].ranks.append(i + 1) } else {
                ranksByFlags.append((flags, [i + 1], r.boundBy == "busiest region"))
            }
        }
        for item in ranksByFlags {
            out += "  \(item.ranks.map(String.init).joined(separator: ", ")): \(item.flags)\(item.saturated ? "  (busiest region saturated: more users per replica only slow each)" : "")\n"
        }
        out += "\nassumptions:\n" + assumptions.map { "  - \($0)\n" }.joined()
        if !skipped.isEmpty { out += "\nskipped:\n" + skipped.map { "  \($0)\n" }.joined() }
        return out
    }

    public func json() -> String { JSONOutput.render(self) }
}
