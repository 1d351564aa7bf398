import WaferMap
import WaferReport
import WaferPasses
import WaferPerf
import WaferSupport
import WaferTarget

/// What `wafermap sweep` explores: the deployment of `count` (model, target, precisions,
/// context, defects, pass options), crossed with wafer counts from the fewest that fit to
/// `extraWafers` more, slot sizes (the searched grid, plus each fixed `--slot` given), and the
/// values of each varied algorithm knob (`--vary`, crossed with each other).
public struct SweepRequest: Sendable {
    public var count: CountRequest
    /// Wafer counts beyond the fewest that fit to try (0...64). Default 3.
    public var extraWafers = 3
    /// Fixed slot shapes to try besides the searched grid.
    public var slots: [SlotShape] = []
    /// Rows to print (the whole front is always kept). Default 10.
    public var top = 10
    /// Knobs to vary (`--vary place.steps=100,200,400`), applied on `count.passOptions`; every
    /// combination of their values is a configuration. At most 64 combinations. Default none.
    public var variations: [PassOptionVariation] = []
    public init(count: CountRequest) { self.count = count }
}

/// The mappings `wafermap sweep` compiled, best tokens/s first, with the Pareto front marked.
public struct SweepReport: Sendable, Encodable {
    public struct Row: Sendable, Encodable {
        public var precision: String
        public var wafers: Int
        public var slot: String
        public var mapping: String
        public var tokensPerS: Double
        /// The range the unpublished constants give (docs/performance-model.md, "Uncertainty").
        public var tokensPerSLow: Double, tokensPerSHigh: Double
        public var microsecondsPerToken: Double
        /// Time to first token, pipelined (a lower bound) and serial (an upper bound).
        public var timeToFirstTokenMs: Double, timeToFirstTokenSerialMs: Double
        public var aggregateTokensPerS: Double
        public var sequencesInFlight: Int
        /// Shares of a token's time in allreduces and in MACs, in percent (for `WaferGainNote`).
        public var allreducePercent: Double, macPercent: Double
        public var speculative: SpeculativeEstimate?
        /// No other row is at least as fast on no more wafers (and strictly better in one).
        public var pareto: Bool
        /// The flags that reproduce this mapping with `compile`.
        public var flags: String
        /// The knobs this row's compile changed from their defaults, as `SECTION.KNOB=VALUE`
        /// (the base `--pass-option`s and this row's `--vary` values); empty at the defaults.
        public var passOptions: [String]
    }
    public var model: String
    public var target: String
    public var rows: [Row]
    /// Configurations that did not fit, with the reason.
    public var skipped: [String]
}

extension Driver {
    /// Compiles (through `schedule`) every configuration of `request`, ranks them by tokens/s
    /// per user and marks the Pareto front of (wafers, tokens/s). O(configurations x compile).
    public static func sweep(_ request: SweepRequest, progress: (String) -> Void = { _ in }) throws(DiagnosticError) -> SweepReport {
        guard (0...64).contains(request.extraWafers) else { throw .error(DriverFailure.flagValue, "--extra-wafers must be between 0 and 64", at: nil) }
        guard request.top >= 1 else { throw .error(DriverFailure.flagValue, "--top must be at least 1", at: nil) }
        var base = request.count
        base.lastPass = "schedule"
        let precisions: [NumberFormat?] = base.precisions.isEmpty ? [nil] : base.precisions
        let optionSets = try PassOptionVariation.combinations(request.variations, base: base.passOptions)
        var rows: [SweepReport.Row] = []
        var skipped: [String] = []
        var modelName = "", targetName = base.target
        for (options, precision) in optionSets.flatMap({ o in precisions.map { (o, $0) } }) {
            let changed = PassOptionReport.changedAssignments(options)
            let varied = request.variations.compactMap { v in options.value(of: v.key).map { "\(v.key)=\($0)" } }
            for slot in [nil] + request.slots.map(Optional.some) {
                var first: Int?
                var extra = 0
                var wafers: WaferCount = base.deployment.wafers
                while true {
                    var count = base
                    count.precisions = precision.map { [$0] } ?? []
                    count.deployment.slot = slot
                    count.deployment.wafers = wafers
                    count.passOptions = options
                    let label = "\(precision?.description ?? "model precision"), slot \(slot?.description ?? "searched"), wafers \(first.map { "\($0 + extra)" } ?? "auto")" + varied.map { ", \($0)" }.joined()
                    progress(label)
                    do throws(DiagnosticError) {
                        let report = try Driver.count(count)
                        guard let result = report.results.first, let layout = result.graph.layout,
                              let estimate = PerformanceEstimate(graph: result.graph, target: report.target, promptTokens: count.deployment.promptTokens)
                        else { throw .error(DriverFailure.invariant, "internal: no schedule", at: nil) }
                        modelName = result.graph.name
                        targetName = report.target.name
                        let n = layout.wafers.count
                        var flags = "--wafers \(n)"
                        if let precision { flags += precision.description.contains("[") ? " --precision '\(precision.description)'" : " --precision \(precision.description)" }
                        if let slot { flags += " --slot \(slot)" }
                        for assignment in changed { flags += " --pass-option \(assignment)" }
                        // A fixed count the partition does not fill repeats a row already there.
                        if rows.contains(where: { $0.flags == flags }) {
                            skipped.append("\(label): the partition used \(Units.count(n, "wafer")), a mapping already listed")
                        } else {
                            let (shapes, grids) = (Set(layout.wafers.map { "\($0.slotWidth)x\($0.slotHeight)" }).sorted().joined(separator: ","), Set(layout.wafers.map { "\($0.gridColumns)x\($0.gridRows)" }).sorted().joined(separator: ","))
                            let share = { (cycles: Int) in 100 * Double(cycles) / Double(max(estimate.cyclesPerToken, 1)) }
                            rows.append(.init(precision: precision?.description ?? result.graph.precision.description, wafers: n, slot: shapes,
                                              mapping: "\(grids) slots of \(shapes)", tokensPerS: estimate.tokensPerS,
                                              tokensPerSLow: estimate.tokensPerSLow, tokensPerSHigh: estimate.tokensPerSHigh,
                                              microsecondsPerToken: estimate.secondsPerToken * 1e6, timeToFirstTokenMs: estimate.timeToFirstTokenS * 1e3,
                                              timeToFirstTokenSerialMs: estimate.timeToFirstTokenSerialS * 1e3,
                                              aggregateTokensPerS: estimate.aggregateTokensPerS, sequencesInFlight: estimate.sequencesInFlight,
                                              allreducePercent: share(estimate.allreduceCycles), macPercent: share(estimate.computeCycles), speculative: result.speculative, pareto: false, flags: flags, passOptions: changed))
                        }
                        if first == nil { first = n }
                    } catch where !error.diagnostics.contains(where: ExitStatus.isInternal) {  // a bug is never a skipped configuration
                        skipped.append("\(label): \(error.diagnostics.first?.message ?? "failed")")
                        if first == nil { break }
                    }
                    guard let f = first, extra < request.extraWafers, case .auto = base.deployment.wafers else { break }
                    extra += 1
                    wafers = .exactly(f + extra)
                }
            }
        }
        guard !rows.isEmpty else {
            throw DiagnosticError(Diagnostic(.error, DriverFailure.sweepNothingCompiled, "no configuration of the sweep compiled", at: nil, notes: skipped.map { .note($0) }))
        }
        for i in rows.indices {
            rows[i].pareto = !rows.indices.contains { j in
                j != i && rows[j].wafers <= rows[i].wafers && rows[j].tokensPerS >= rows[i].tokensPerS
                    && (rows[j].wafers < rows[i].wafers || rows[j].tokensPerS > rows[i].tokensPerS)
            }
        }
        rows.sort { ($0.tokensPerS, -$0.wafers, $0.flags) > ($1.tokensPerS, -$1.wafers, $1.flags) }
        return SweepReport(model: modelName, target: targetName, rows: rows, skipped: skipped)
    }
}

extension SweepReport {
    /// The ranked table: the best `top` rows and every Pareto row.
    public func text(top: Int) -> String {
        var out = "sweep       \(model) on \(target): \(Units.count(rows.count, "mapping")) compiled, best tokens/s per user first; * = Pareto front (wafers vs tokens/s)\n\n"
        var t = TextTable([("rank", .right), ("", .left), ("wafers", .right), ("precision", .left), ("mapping", .left), ("tokens/s", .right), ("range", .right),
                           ("us/token", .right), ("first token ms", .right), ("aggregate tokens/s", .right), ("flags", .left)])
        for (i, r) in rows.enumerated() where i < top || r.pareto {
            t.add(["\(i + 1)", r.pareto ? "*" : "", "\(r.wafers)", r.precision, r.mapping, Units.fixed(r.tokensPerS, digits: 1),
                   "\(Units.fixed(r.tokensPerSLow, digits: 0))-\(Units.fixed(r.tokensPerSHigh, digits: 0))", Units.fixed(r.microsecondsPerToken, digits: 1), "\(Units.fixed(r.timeToFirstTokenMs, digits: 1))-\(Units.fixed(r.timeToFirstTokenSerialMs, digits: 1))",
                   "\(Units.fixed(r.aggregateTokensPerS, digits: 1)) (\(r.sequencesInFlight) in flight)", r.flags])
        }
        out += t.render(indent: "") + SpeculativeEstimate.sweepLines(rows.enumerated().filter { $0.offset < top || $0.element.pareto }.map { ($0.offset + 1, $0.element.speculative) })
        out += WaferGainNote.text(rows.map { .init(wafers: $0.wafers, tokensPerS: $0.tokensPerS, aggregateTokensPerS: $0.aggregateTokensPerS, mapping: $0.mapping, allreducePercent: $0.allreducePercent, macPercent: $0.macPercent) })
        if !skipped.isEmpty { out += "\nskipped:\n" + skipped.map { "  \($0)\n" }.joined() }
        return out
    }

    public func json() -> String { JSONOutput.render(self) }
}
