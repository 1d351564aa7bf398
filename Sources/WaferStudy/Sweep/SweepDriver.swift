import WaferMap
import WaferReport
import WaferPasses
import WaferPerf
import WaferSupport
import WaferTarget

/// What `wafermap sweep` explores: the deployment of `count` (model, target, precisions,
/// context, defects, pass options), crossed with wafer counts from the fewest that fit to
/// `extraWafers` more, slot sizes (the searched grid, plus each fixed `--slot` given), the
/// values of each varied algorithm knob (`--vary`, crossed with each other), batch sizes
/// (`--batches`) and context lengths (`--contexts`).
///
/// One configuration is one (knob values, precision, slot, batch, context): it compiles at the
/// fewest wafers that fit, then at up to `extraWafers` more. Configurations are the work items
/// a `--shard K/N` slice runs (`SweepConfiguration`).
public struct SweepRequest: Sendable {
    public var count: CountRequest
    /// Wafer counts beyond the fewest that fit to try (0...64). Default 3.
    public var extraWafers = 3
    /// Fixed slot shapes to try besides the searched grid.
    public var slots: [SlotShape] = []
    /// Rows to print in the table (Pareto rows are always printed; JSON and CSV hold every row).
    /// 1...100,000. Default 10.
    public var top = 10
    /// Knobs to vary (`--vary place.steps=100,200,400`), applied on `count.passOptions`; every
    /// combination of their values is a configuration. At most 64 combinations. Default none.
    public var variations: [PassOptionVariation] = []
    /// Sequences decoded together (`--batches`), each a configuration, in 1...2^20, at most
    /// `maxAxisValues`, no repeats. Empty: the deployment's one batch (`--batch`). Default empty.
    public var batches: [Int] = []
    /// Tokens of context per sequence (`--contexts`), each a configuration, in 1...2^30, at
    /// most `maxAxisValues`, no repeats. Empty: the deployment's one context (`--context`).
    public var contexts: [Int] = []
    /// How the report is rendered (`--format`); part of a sharded study's identity. Default table.
    public var format: SweepFormat = .table

    /// The most values of `--batches` or `--contexts`.
    public static let maxAxisValues = 16
    /// The most configurations one sweep runs (split a larger study with more precise axes).
    public static let maxConfigurations = 65_536

    public init(count: CountRequest) { self.count = count }
}

/// `--format` of `sweep`: the ranked table, a JSON report, or CSV (one row per mapping).
public enum SweepFormat: String, Sendable, Codable, CaseIterable {
    case table, json, csv
}

/// One work item of a sweep: knob values, precision, slot, batch and context. It runs its own
/// wafer loop (the fewest wafers that fit, then `extraWafers` more), so its result does not
/// depend on any other item's, and a shard can run it alone.
public struct SweepConfiguration: Sendable {
    public var options: PassOptions
    /// The knobs changed from their defaults (`SECTION.KNOB=VALUE`).
    public var changed: [String]
    /// This configuration's `--vary` values, for progress and skip lines.
    public var varied: [String]
    /// nil: the model's own precision policy.
    public var precision: NumberFormat?
    /// nil: the searched grid.
    public var slot: SlotShape?
    /// From the `--batches` / `--contexts` axis; nil: the deployment's own (no flag in the row).
    public var batch: Int?, context: Int?

    /// `bf16, slot searched, batch 4, context 8192, tile.max-grid=1`.
    public var label: String {
        "\(precision?.description ?? "model precision"), slot \(slot?.description ?? "searched")"
            + (batch.map { ", batch \($0)" } ?? "") + (context.map { ", context \($0)" } ?? "") + varied.map { ", \($0)" }.joined()
    }
}

/// One configuration's result: its rows (one per wafer count that compiled to a new mapping)
/// and the wafer counts skipped, with the reason. What a shard records per work item.
public struct SweepOutcome: Sendable, Codable {
    public var rows: [SweepReport.Row]
    public var skipped: [String]
    public init(rows: [SweepReport.Row], skipped: [String]) { self.rows = rows; self.skipped = skipped }
}

extension Driver {
    /// Checks `request`'s bounds and lists its configurations in a fixed order (knob values,
    /// precision, slot, batch, context; the last varies fastest). O(configurations).
    public static func sweepConfigurations(_ request: SweepRequest) throws(DiagnosticError) -> [SweepConfiguration] {
        guard (0...64).contains(request.extraWafers) else { throw .error(DriverFailure.flagValue, "--extra-wafers must be between 0 and 64", at: nil) }
        guard (1...100_000).contains(request.top) else { throw .error(DriverFailure.flagValue, "--top must be between 1 and 100,000", at: nil) }
        try SweepRequest.checkAxis(request.batches, flag: "--batches", range: 1...(1 << 20))
        try SweepRequest.checkAxis(request.contexts, flag: "--contexts", range: 1...(1 << 30))
        if let prompt = request.count.deployment.promptTokens, let shortest = request.contexts.min(), prompt > shortest {
            throw .error(DriverFailure.flagValue, "--prompt \(prompt) is longer than the shortest of --contexts (\(shortest) tokens)", at: nil)
        }
        let base = request.count
        let precisions: [NumberFormat?] = base.precisions.isEmpty ? [nil] : base.precisions
        let optionSets = try PassOptionVariation.combinations(request.variations, base: base.passOptions)
        let slots: [SlotShape?] = [nil] + request.slots.map(Optional.some)
        let batches: [Int?] = request.batches.isEmpty ? [nil] : request.batches
        let contexts: [Int?] = request.contexts.isEmpty ? [nil] : request.contexts
        let total = [optionSets.count, precisions.count, slots.count, batches.count, contexts.count].reduce(1) { Checked.product([$0, $1]) ?? Int.max }
        guard total <= SweepRequest.maxConfigurations else {
            throw .error(DriverFailure.flagValue, "the sweep has \(Units.grouped(total)) configurations (knob values x precisions x slots x batches x contexts); give at most \(Units.grouped(SweepRequest.maxConfigurations))", at: nil)
        }
        var out: [SweepConfiguration] = []
        out.reserveCapacity(total)
        for options in optionSets {
            let changed = PassOptionReport.changedAssignments(options)
            let varied = request.variations.compactMap { v in options.value(of: v.key).map { "\(v.key)=\($0)" } }
            for precision in precisions { for slot in slots { for batch in batches { for context in contexts {
                out.append(SweepConfiguration(options: options, changed: changed, varied: varied, precision: precision, slot: slot, batch: batch, context: context))
            } } } }
        }
        return out
    }

    /// Compiles (through `schedule`) one configuration at the fewest wafers that fit and up to
    /// `request.extraWafers` more. A failure that is not a bug is a skipped line, never an
    /// error. O((extraWafers + 1) x compile).
    public static func sweepOutcome(_ request: SweepRequest, _ config: SweepConfiguration, progress: (String) -> Void = { _ in }) throws(DiagnosticError) -> SweepOutcome {
        var base = request.count
        base.lastPass = "schedule"
        var rows: [SweepReport.Row] = [], skipped: [String] = []
        var first: Int?
        var extra = 0
        var wafers: WaferCount = base.deployment.wafers
        while true {
            var count = base
            count.precisions = config.precision.map { [$0] } ?? []
            count.deployment.slot = config.slot
            count.deployment.wafers = wafers
            if let batch = config.batch { count.deployment.batch = batch }
            if let context = config.context { count.deployment.contextTokens = context }
            count.passOptions = config.options
            let label = config.label + ", wafers \(first.map { "\($0 + extra)" } ?? "auto")"
            progress(label)
            do throws(DiagnosticError) {
                let report = try Driver.count(count)
                guard let result = report.results.first, let layout = result.graph.layout,
                      let estimate = PerformanceEstimate(graph: result.graph, target: report.target, promptTokens: count.deployment.promptTokens)
                else { throw .error(DriverFailure.invariant, "internal: no schedule", at: nil) }
                let n = layout.wafers.count
                var flags = "--wafers \(n)"
                if let precision = config.precision { flags += precision.description.contains("[") ? " --precision '\(precision.description)'" : " --precision \(precision.description)" }
                if let slot = config.slot { flags += " --slot \(slot)" }
                if let batch = config.batch { flags += " --batch \(batch)" }
                if let context = config.context { flags += " --context \(context)" }
                for assignment in config.changed { flags += " --pass-option \(assignment)" }
                // A fixed count the partition does not fill repeats a row already there.
                if rows.contains(where: { $0.flags == flags }) {
                    skipped.append("\(label): the partition used \(Units.count(n, "wafer")), a mapping already listed")
                } else {
                    let (shapes, grids) = (Set(layout.wafers.map { "\($0.slotWidth)x\($0.slotHeight)" }).sorted().joined(separator: ","), Set(layout.wafers.map { "\($0.gridColumns)x\($0.gridRows)" }).sorted().joined(separator: ","))
                    let share = { (cycles: Int) in 100 * Double(cycles) / Double(max(estimate.cyclesPerToken, 1)) }
                    rows.append(.init(precision: config.precision?.description ?? result.graph.precision.description, wafers: n,
                                      batch: count.deployment.batch, contextTokens: count.deployment.contextTokens, slot: shapes,
                                      mapping: "\(grids) slots of \(shapes)", tokensPerS: estimate.tokensPerS,
                                      tokensPerSLow: estimate.tokensPerSLow, tokensPerSHigh: estimate.tokensPerSHigh,
                                      microsecondsPerToken: estimate.secondsPerToken * 1e6, timeToFirstTokenMs: estimate.timeToFirstTokenS * 1e3,
                                      timeToFirstTokenSerialMs: estimate.timeToFirstTokenSerialS * 1e3,
                                      aggregateTokensPerS: estimate.aggregateTokensPerS, sequencesInFlight: estimate.sequencesInFlight,
                                      allreducePercent: share(estimate.allreduceCycles), macPercent: share(estimate.computeCycles),
                                      speculative: result.speculative, flags: flags, passOptions: config.changed))
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
        return SweepOutcome(rows: rows, skipped: skipped)
    }

    /// The whole sweep: every configuration's outcome, then ranking, Pareto front and precision
    /// labels from all rows (`SweepReport.assemble`), exactly as `wafermap merge` assembles the
    /// shards' outcomes. Progress names `config i of n`. O(configurations x compiles).
    public static func sweep(_ request: SweepRequest, progress: (String) -> Void = { _ in }) throws(DiagnosticError) -> SweepReport {
        let header = try sweepHeader(request)
        let configurations = try sweepConfigurations(request)
        var outcomes: [SweepOutcome] = []
        for (i, config) in configurations.enumerated() {
            outcomes.append(try sweepOutcome(request, config) { progress("config \(i + 1) of \(configurations.count): \($0)") })
        }
        return try SweepReport.assemble(header: header, outcomes: outcomes)
    }

    /// One slice of the sweep (`--shard K/N`): the outcomes of the configurations `shard` owns,
    /// as the partial result `wafermap merge` reads. O(configurations / N x compiles).
    public static func sweepPartial(_ request: SweepRequest, shard: ShardSpec, progress: (String) -> Void = { _ in }) throws(DiagnosticError) -> SweepPartial {
        let header = try sweepHeader(request)
        let configurations = try sweepConfigurations(request)
        let mine = shard.items(of: configurations.count)
        var entries: [SweepPartial.Entry] = []
        for (done, i) in mine.enumerated() {
            let outcome = try sweepOutcome(request, configurations[i]) { progress("shard \(shard): config \(done + 1) of \(mine.count) (item \(i + 1) of \(configurations.count)): \($0)") }
            entries.append(.init(item: i, result: outcome))
        }
        return SweepPartial(study: SweepReport.studyKind, header: header, shard: shard, items: configurations.count, results: entries)
    }
}

extension SweepRequest {
    /// An axis list's values: each in `range`, at most `maxAxisValues`, none twice. O(values).
    static func checkAxis(_ values: [Int], flag: String, range: ClosedRange<Int>) throws(DiagnosticError) {
        guard values.count <= maxAxisValues else { throw .error(DriverFailure.flagValue, "\(flag) lists \(values.count) values; give at most \(maxAxisValues)", at: nil) }
        for v in values where !range.contains(v) {
            throw .error(DriverFailure.flagValue, "\(flag): \(v) is outside \(range.lowerBound)...\(Units.grouped(range.upperBound))", at: nil)
        }
        if let repeated = values.enumerated().first(where: { values[..<$0.offset].contains($0.element) })?.element {
            throw .error(DriverFailure.flagValue, "\(flag) lists \(repeated) twice", at: nil)
        }
    }
}
