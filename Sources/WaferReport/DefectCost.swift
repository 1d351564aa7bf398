import WaferIR
import WaferPasses
import WaferPerf
import WaferSupport
import WaferTarget

/// One row of `wafermap defects cost`: a model mapped at one defect rate and model of defects.
public struct DefectCostRow: Sendable, Encodable {
    /// Dead PEs per physical PE (per logical PE with `--repair none` or without redundancy).
    public var rate: Double
    /// `uniform` or `clustered`.
    public var defectModel: String
    /// Means over the wafers used: physical dead PEs, those the spare rows absorbed, holes left.
    public var physicalDeadPesPerWafer: Double
    public var absorbedPerWafer: Double
    public var holesPerWafer: Double
    public var wafers: Int
    public var tokensPerS: Double?
    public var tokensPerSLow: Double?
    public var tokensPerSHigh: Double?
    /// Tokens/s as a percentage of the defect-free row's.
    public var percentOfDefectFree: Double?
    /// What costs what. Bypass: the worst extra hops a row line and a column line pays to the
    /// spare rows (hardware). Software avoidance of the holes: spare columns the tiles moved to,
    /// exception routes (detours, relays), slots lost to holes, and wafers beyond the defect-free count.
    public var bypassHopsRows: Int
    public var bypassHopsColumns: Int
    public var spareColumns: Int
    /// Dead or sealed home PEs in the used slots (outside their spare columns): each moves a tile to a spare.
    public var tilesMoved: Int
    public var detourRoutes: Int
    public var slotsLost: Int
    public var extraWafers: Int
    /// Why the row has no figures (the mapping was refused or failed).
    public var error: String?
}

/// `wafermap defects cost`: a model through the schedule at a ladder of defect rates, uniform and
/// clustered, on nested maps from one seed (a higher rate's map contains a lower one's), and
/// what each mechanism costs (docs/redundancy.md). O(rates x one `count --perf`).
public struct DefectCostReport: Sendable, Encodable {
    /// The model file as given on the command line.
    public var model: String
    /// The model's name (its YAML `name`), as the plan, the report and the pictures call it.
    public var modelName: String
    public var target: String
    public var seed: UInt64
    public var repair: String
    public var rows: [DefectCostRow]
    /// Per defect model: whether tokens/s never rose as the rate rose (rows with figures only).
    public var monotone: [String: Bool]

    /// The default rates: real wafers are of order 5e-5 before repair; 0.02 is far past it.
    public static let defaultRates = [0, 0.0001, 0.0005, 0.001, 0.005, 0.01, 0.02]
    /// Most rates one sweep takes (each is two pipeline runs).
    public static let maxRates = 32

    /// Runs `count(rate, clustered)` for every rate, uniform then clustered (the defect-free run
    /// once, shared by both). `model` is the file, `modelName` the model's own name. `progress`
    /// gets a line per run. O(rates x a run).
    public static func run(model: String, modelName: String, target: String, seed: UInt64, repair: String, rates: [Double],
                           count: (Double, Bool) throws(DiagnosticError) -> CountReport,
                           progress: (String) -> Void = { _ in }) -> DefectCostReport {
        var rows: [DefectCostRow] = []
        var baseline: (tokens: Double?, wafers: Int)?
        var done = 0
        let runs = rates.filter { $0 > 0 }.count * 2 + (rates.contains(0) ? 1 : 0)
        var zero: DefectCostRow?
        for clustered in [false, true] {
            let name = clustered ? "clustered" : "uniform"
            for rate in rates {
                if rate == 0, var row = zero { row.defectModel = name; rows.append(row); continue }
                done += 1
                progress("defects cost: \(name) rate \(Units.decimal(rate)) (\(done)/\(runs))")
                var row: DefectCostRow
                do {
                    let report = try count(rate, clustered)
                    row = Self.row(report, rate: rate, model: name, baseline: baseline)
                } catch {
                    row = DefectCostRow(rate: rate, defectModel: name, physicalDeadPesPerWafer: 0, absorbedPerWafer: 0, holesPerWafer: 0, wafers: 0,
                                        bypassHopsRows: 0, bypassHopsColumns: 0, spareColumns: 0, tilesMoved: 0, detourRoutes: 0, slotsLost: 0, extraWafers: 0,
                                        error: error.diagnostics.first?.message ?? "failed")
                }
                if rate == 0 {
                    zero = row
                    if row.error == nil { baseline = (row.tokensPerS, row.wafers) }
                    row.percentOfDefectFree = row.tokensPerS == nil ? nil : 100
                    zero = row
                }
                rows.append(row)
            }
        }
        var monotone: [String: Bool] = [:]
        for name in ["uniform", "clustered"] {
            let speeds = rows.filter { $0.defectModel == name }.sorted { $0.rate < $1.rate }.compactMap(\.tokensPerS)
            monotone[name] = zip(speeds, speeds.dropFirst()).allSatisfy { $1 <= $0 * (1 + 1e-9) }
        }
        return DefectCostReport(model: model, modelName: modelName, target: target, seed: seed, repair: repair, rows: rows, monotone: monotone)
    }

    /// One row's figures from a `count --perf` report (its first precision). O(wafers x defects).
    static func row(_ report: CountReport, rate: Double, model: String, baseline: (tokens: Double?, wafers: Int)?) -> DefectCostRow {
        guard let r = report.results.first else {
            return DefectCostRow(rate: rate, defectModel: model, physicalDeadPesPerWafer: 0, absorbedPerWafer: 0, holesPerWafer: 0, wafers: 0,
                                 bypassHopsRows: 0, bypassHopsColumns: 0, spareColumns: 0, tilesMoved: 0, detourRoutes: 0, slotsLost: 0, extraWafers: 0, error: "no result")
        }
        let used = r.partition.stages.map(\.wafer)
        let repairs = used.map { report.defects.repair(forWafer: $0) }
        let n = Double(max(used.count, 1))
        func mean(_ f: (RepairSummary) -> Int, or logical: (Int) -> Int) -> Double {
            let total = zip(used, repairs).reduce(0) { $0 + ($1.1.map(f) ?? logical($1.0)) }
            return (Double(total) / n * 10).rounded() / 10
        }
        let holes = { (w: Int) in report.defects.defects(forWafer: w)?.deadPEs.count ?? 0 }
        let perf = report.quality(r)?.performance
        let layout = r.graph.layout
        let tilings = layout?.wafers ?? []
        return DefectCostRow(
            rate: rate, defectModel: model,
            physicalDeadPesPerWafer: mean(\.physicalDeadPEs, or: holes), absorbedPerWafer: mean(\.absorbed, or: { _ in 0 }),
            holesPerWafer: mean(\.holes, or: holes), wafers: used.count,
            tokensPerS: perf?.tokensPerS, tokensPerSLow: perf?.tokensPerSLow, tokensPerSHigh: perf?.tokensPerSHigh,
            percentOfDefectFree: both(perf?.tokensPerS, baseline?.tokens).map { ($0 / max($1, 1e-12) * 1000).rounded() / 10 },
            bypassHopsRows: repairs.compactMap { $0?.bypassHopsRows }.max() ?? 0,
            bypassHopsColumns: repairs.compactMap { $0?.bypassHopsColumns }.max() ?? 0,
            spareColumns: tilings.reduce(0) { $0 + $1.spareColumns }, tilesMoved: tilesMoved(tilings, report.context),
            detourRoutes: r.graph.routing?.exceptions.count ?? 0,
            slotsLost: tilings.reduce(0) { $0 + $1.usableSlots.filter { !$0 }.count },
            extraWafers: baseline.map { max(0, used.count - $0.wafers) } ?? 0, error: nil)
    }

    /// Dead or sealed PEs on the used slots' home columns (not their spares): the tiles moved. O(defects x slots).
    static func tilesMoved(_ tilings: [WaferTiling], _ context: PassContext) -> Int {
        tilings.reduce(0) { total, t in
            guard let dead = context.effectiveDefects(forWafer: t.wafer), let used = t.groupSlot, t.slotWidth > 0 else { return total }
            let fabricWidth = context.target?.fabricWidth ?? 1
            let rects = Set(used).map { t.rect(ofSlot: $0) }
            return total + dead.deadPEs.reduce(0) { n, pe in
                let x = Int(pe) % fabricWidth, y = Int(pe) / fabricWidth
                let home = rects.contains { x >= $0.x && x < $0.x + $0.width && y >= $0.y && y < $0.y + $0.height && !t.isSpare(offset: x - $0.x) }
                return n + (home ? 1 : 0)
            }
        }
    }

    /// The table `defects cost` prints, with the command's provenance and the monotonicity line.
    public func table() -> String {
        var out = "defect cost of \(model) on \(target): nested maps, seed \(seed), repair \(repair)\n"
        out += repair == "spare-rows" ? "rate = dead PEs per physical PE; dead/absorbed/holes are means per wafer used\n\n"
            : "rate = dead PEs per logical PE (no hardware repair: every dead PE is a hole); dead/absorbed/holes are means per wafer used\n\n"
        var table = TextTable([("rate", .right), ("model", .left), ("phys dead/wafer", .right), ("absorbed", .right), ("holes", .right),
                               ("wafers", .right), ("tokens/s", .right), ("range", .right), ("% of 0", .right),
                               ("bypass hops row/col", .right), ("spare cols", .right), ("tiles moved", .right), ("detours", .right), ("slots lost", .right), ("extra wafers", .right)])
        for row in rows {
            guard let tokens = row.tokensPerS, row.error == nil else {
                table.add([Units.decimal(row.rate), row.defectModel, "-", "-", "-", "-", "-", "-", "-", "-", "-", "-", "-", "-", "-"])
                continue
            }
            let range = "\(Units.fixed(row.tokensPerSLow ?? tokens, digits: 0))-\(Units.fixed(row.tokensPerSHigh ?? tokens, digits: 0))"
            table.add([Units.decimal(row.rate), row.defectModel, Units.fixed(row.physicalDeadPesPerWafer, digits: 1), Units.fixed(row.absorbedPerWafer, digits: 1),
                       Units.fixed(row.holesPerWafer, digits: 1), "\(row.wafers)", Units.fixed(tokens, digits: 1), range,
                       row.percentOfDefectFree.map { Units.fixed($0, digits: 1) + "%" } ?? "-", "+\(row.bypassHopsRows)/+\(row.bypassHopsColumns)",
                       "\(row.spareColumns)", Units.grouped(row.tilesMoved), Units.grouped(row.detourRoutes), "\(row.slotsLost)", "\(row.extraWafers)"])
        }
        out += table.render(indent: "")
        for row in rows where row.error != nil { out += "rate \(Units.decimal(row.rate)) \(row.defectModel): \(row.error ?? "")\n" }
        let verdict = ["uniform", "clustered"].map { "\($0) \(monotone[$0] == true ? "yes" : "NO")" }.joined(separator: ", ")
        out += "speed fell monotonically with the rate: \(verdict)\n"
        out += "mechanisms: bypass hops = hardware spare rows (every allreduce on the wafer pays them); spare cols, tiles moved, detours, slots lost, extra wafers = holes beyond the spare budget avoided in software\n"
        return out
    }

    public func json() -> String { JSONOutput.render(self) }
}

/// Both values, or nil. O(1).
private func both<A, B>(_ a: A?, _ b: B?) -> (A, B)? {
    guard let a, let b else { return nil }
    return (a, b)
}
