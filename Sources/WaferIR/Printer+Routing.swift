import WaferSupport

extension IRPrinter {
    /// The `routing { ... }` section: per wafer its color use, its line classes (one line each,
    /// symbolic), bundles, and the first few defect exceptions with their paths as corner
    /// points. `expandLayers` lists every exception. O(classes + bundles + shown exceptions).
    func routingSection(_ routing: Routing, fabricWidth: Int?) -> [String] {
        var out: [String] = []
        out.append("  routing {  // \(routing.colorBudget) colors per PE for the program; channel dependencies: \(Units.grouped(routing.dependencyNodes)) nodes, \(Units.grouped(routing.dependencyEdges)) edges, acyclic")
        var exceptionsByWafer: [Int: [Int]] = [:]
        let classWafer = Dictionary(uniqueKeysWithValues: routing.classes.map { ($0.id, $0.wafer) })
        let bundleWafer = Dictionary(uniqueKeysWithValues: routing.bundles.map { ($0.id, $0.wafer) })
        for (i, e) in routing.exceptions.enumerated() {
            let wafer = (e.role == .lane ? bundleWafer[e.owner] : classWafer[e.owner]) ?? -1
            exceptionsByWafer[wafer, default: []].append(i)
        }
        for summary in routing.wafers {
            out.append("    wafer \(summary.wafer): palette \(summary.classColors) colors, max \(summary.maxColorsPerPE) per PE, \(Units.grouped(summary.exceptions)) exceptions, \(Units.grouped(summary.relays)) relays, max link load \(Units.grouped(summary.maxLinkLoadWavelets)) wavelets, PathFinder \(summary.negotiationIterations) iteration\(summary.negotiationIterations == 1 ? "" : "s")\(summary.overlayPEs.isEmpty ? "" : ", overlay \(Units.grouped(summary.overlayPEs.count)) PEs [\(summary.overlayColors.map { "c\($0)" }.joined(separator: ","))] carrying \(Units.grouped(summary.overlayRoutes)) route\(summary.overlayRoutes == 1 ? "" : "s")")\(summary.unresolvedPEs.isEmpty ? "" : ", \(summary.unresolvedPEs.count) UNRESOLVED (no color) at \(summary.unresolvedPEs.prefix(3).map { pe in "(\(Int(pe) % max(fabricWidth ?? 1, 1)),\(Int(pe) / max(fabricWidth ?? 1, 1)))" }.joined(separator: " "))")")
            for c in routing.classes where c.wafer == summary.wafer {
                let colors = c.colors.map { "c\($0)" }.joined(separator: ",")
                var line = "      class \(c.id): slot \(c.slot) \(c.scope) \(c.axis.rawValue) \(c.lineCount) lines x \(c.lineLength)"
                if c.segment < c.lineLength { line += " in segments of \(c.segment)" }
                if let host = c.foldedInto {
                    out.append(line + ", folded into class \(host) (\(c.bands) bands a line, no colors of its own)")
                    continue
                }
                line += ", \(c.mode.rawValue)"
                if c.mode == .tree { line += " G=\(c.groups)" }
                line += " [\(colors)], load \(Units.grouped(c.loadWavelets)) wavelets/link"
                if c.exceptions > 0 { line += ", \(c.exceptions) exceptions (+\(c.penaltyCycles) cycles worst line)" }
                out.append(line)
            }
            for b in routing.bundles where b.wafer == summary.wafer {
                let s = b.source(lane: 0), t = b.sink(lane: 0)
                var line = "      bundle \(b.id): \(b.label), \(b.lanes) lanes every \(b.rowStep) row\(b.rowStep == 1 ? "" : "s") [c\(b.color)], lane 0 (\(s.x),\(s.y)) -> (\(t.x),\(t.y)), \(b.hops) hops, load \(Units.grouped(b.loadWavelets)) wavelets/lane"
                if b.exceptions > 0 { line += ", \(b.exceptions) exceptions (+\(b.penaltyCycles) cycles)" }
                out.append(line)
            }
            let list = exceptionsByWafer[summary.wafer] ?? []
            let shown = expandLayers ? list : Array(list.prefix(4))
            for i in shown {
                let e = routing.exceptions[i]
                let colors = zip(e.runStarts, e.colors).map { "c\($0.1)@\($0.0)" }.joined(separator: ",")
                out.append("      exception \(i): \(e.role == .lane ? "bundle" : "class") \(e.owner) \(e.role.rawValue) line \(e.line) pos \(e.position): \(Self.corners(e.path, width: fabricWidth)) \(e.overlay ? " overlay" : "") [\(colors)] +\(e.extraHops) hops, \(e.relays) relays")
            }
            if shown.count < list.count { out.append("      ... \(Units.grouped(list.count - shown.count)) more exceptions (--expand-layers lists all)") }
        }
        var flowKinds: [String: Int] = [:]
        for f in routing.flows { flowKinds[f.kind.rawValue, default: 0] += 1 }
        out.append("    flows: \(Units.grouped(routing.flows.count)) (\(flowKinds.sorted { $0.key < $1.key }.map { "\($0.value) \($0.key)" }.joined(separator: ", ")))")
        out.append("  }")
        return out
    }

    /// A path as its corner points `(x,y)`: start, every turn, end.
    static func corners(_ path: [Int32], width: Int?) -> String {
        guard let width, width > 0, !path.isEmpty else { return "\(path.count) PEs" }
        func xy(_ pe: Int32) -> (Int, Int) { (Int(pe) % width, Int(pe) / width) }
        var points = [xy(path[0])]
        for i in 1..<path.count {
            let p = xy(path[i - 1]), q = xy(path[i])
            if i + 1 < path.count {
                let r = xy(path[i + 1])
                if (q.0 - p.0, q.1 - p.1) != (r.0 - q.0, r.1 - q.1) { points.append(q) }
            } else {
                points.append(q)
            }
        }
        return points.map { "(\($0.0),\($0.1))" }.joined(separator: "->")
    }

    /// The `schedule { ... }` section: totals, the breakdown, the critical path, one line per unit
    /// and the phases of the slowest unit (every phase with `expandLayers`). `batch`: the
    /// sequences decoded together in the step (the partition's KV cache batch).
    func scheduleSection(_ schedule: Schedule, layout: Layout?, batch: Int) -> [String] {
        var out: [String] = []
        let name = { (u: Int) -> String in layout.flatMap { $0.units.indices.contains(u) ? $0.units[u].name : nil } ?? "unit \(u)" }
        out.append("  schedule {  // batch \(batch): \(Units.grouped(schedule.cyclesPerToken)) cycles per token = \(Units.fixed(schedule.secondsPerToken * 1e6, digits: 1)) us at \(Units.fixed(schedule.clockMHz, digits: 0)) MHz = \(Units.fixed(schedule.tokensPerSecond, digits: 1)) tokens/s per user")
        let total = max(schedule.cyclesPerToken, 1)
        let parts = PhaseKind.allCases.map { k -> String in
            let c = schedule.cyclesByKind[k] ?? 0
            return "\(k.rawValue) \(Units.grouped(c)) (\(Units.fixed(100 * Double(c) / Double(total), digits: 1))%)"
        }
        let parallel = schedule.parallelCycles > 0
            ? "; parallel -\(Units.grouped(schedule.parallelCycles)) (-\(Units.fixed(100 * Double(schedule.parallelCycles) / Double(total), digits: 1))%)" : ""
        out.append("    breakdown: \(parts.joined(separator: ", "))\(parallel)")
        if !schedule.phases.isEmpty {
            let p = schedule.phases[schedule.longestPhase]
            let slices = Set(schedule.phases.map(\.unit).filter { u in layout.map { $0.units.indices.contains(u) && !$0.units[u].holdsBase } ?? false })
            let beside = slices.isEmpty ? ""
                : " but \(Units.count(slices.count, "remote expert slice")), each beside its layer's local experts from the router allreduce to the elementwise work"
            out.append("    critical path: every phase in sequence (batch \(batch))\(beside); slowest unit \(name(schedule.slowestUnit)) (\(Units.grouped(schedule.cycles(ofUnit: schedule.slowestUnit))) cycles); longest phase \(name(p.unit)) \(p.label) (\(Units.grouped(p.cycles)) cycles)")
        }
        var order: [Int] = []
        var perUnit: [Int: (start: Int, end: Int, byKind: [PhaseKind: Int])] = [:]
        for p in schedule.phases {
            if perUnit[p.unit] == nil { order.append(p.unit) }
            var t = perUnit[p.unit] ?? (p.start, p.end, [:])
            t.start = min(t.start, p.start); t.end = max(t.end, p.end)
            t.byKind[p.kind, default: 0] += p.cycles
            perUnit[p.unit] = t
        }
        for u in order {
            guard let t = perUnit[u] else { continue }
            let kinds = PhaseKind.allCases.compactMap { k in t.byKind[k].map { "\(k.rawValue) \(Units.grouped($0))" } }.joined(separator: ", ")
            out.append("    \(name(u)): \(Units.grouped(t.start))..\(Units.grouped(t.end))  // \(kinds)")
            if expandLayers || u == schedule.slowestUnit {
                for p in schedule.phases where p.unit == u {
                    out.append("      \(p.kind.rawValue) \(p.label): \(Units.grouped(p.start))..\(Units.grouped(p.end)) (\(Units.grouped(p.cycles)))")
                }
            }
        }
        out.append("    constants:")
        for c in schedule.constants { out.append("      \(c)") }
        out.append("  }")
        return out
    }
}
