import Foundation
import Testing
import WaferPerf
import WaferReport
@testable import WaferStudy
import WaferTestSupport

/// The batching model, the serving model's arithmetic on hand-made replicas, and `wafermap
/// serve` through the built executable (docs/serving.md).
@Suite struct ServeTests {
    static func batching(b: Int = 1, pass: Int = 1_000, busiest: Int = 100, placed: Int = 1, spare: Int = 0) -> PipelineBatching {
        PipelineBatching(clockMhz: 1000, microBatch: b, passCycles: pass, bottleneckCycles: busiest, regions: 10, residentSequences: placed, spareSequences: spare)
    }

    @Test func roundIsThePassOrTheBusiestRegionServingEveryMicroBatch() {
        let p = Self.batching(b: 2, pass: 1_000, busiest: 100, placed: 40, spare: 0)
        // 8 sequences = 4 micro-batches: 400 cycles of the busiest region < one 1,000-cycle pass.
        let light = p.load(sequences: 8)
        #expect(light.microBatches == 4 && light.cyclesPerRound == 1_000 && !light.bottleneckBound)
        #expect(abs(light.tokensPerSPerUser - 1e6) < 1e-6 && abs(light.aggregateTokensPerS - 8e6) < 1e-3)
        // 30 sequences = 15 micro-batches: the busiest region sets a 1,500-cycle round.
        let heavy = p.load(sequences: 30)
        #expect(heavy.cyclesPerRound == 1_500 && heavy.bottleneckBound)
        #expect(abs(heavy.aggregateTokensPerS - 2 * 1e9 / 100) < 1e-3, "saturated: b x clock / t_max")
        #expect(p.saturatingSequences == 20)
        #expect(p.best.sequences == 20, "placed 40 >= saturating 20")
        #expect(Self.batching(b: 2, placed: 3, spare: 4).best.sequences == 7, "KV-bound: placed + spare")
    }

    @Test func prefillOnTheSameWafersSlowsDecodeByItsShare() {
        let v0 = 400.0, users = 16, prefill = 0.05, output = 1_000, ttft = 0.05
        let v = ServeModel.decodeSpeedWithPrefill(plain: v0, users: users, prefillSeconds: prefill, outputTokens: output, ttft: ttft)
        // v = v0 (1 - rho), rho = requests/s x prefill, requests/s = users / (ttft + output / v).
        let rho = Double(users) / (ttft + Double(output) / v) * prefill
        #expect(v > 0 && v < v0 && abs(v - v0 * (1 - rho)) < 1e-6 * v0, "\(v) vs \(v0 * (1 - rho))")
        #expect(abs(ServeModel.decodeSpeedWithPrefill(plain: v0, users: users, prefillSeconds: 0, outputTokens: output, ttft: ttft) - v0) < 1e-6)
    }

    static func replica(sequences: Int, wafers: Int, b: Int = 1, pass: Int = 1_000_000, busiest: Int = 100_000) -> ServeReplica {
        ServeReplica(precision: "bf16", wafers: wafers, microBatch: b, sequences: sequences,
                     batching: PipelineBatching(clockMhz: 1000, microBatch: b, passCycles: pass, bottleneckCycles: busiest, regions: 10, residentSequences: sequences, spareSequences: 0),
                     tokensPerS: 1000, tokensPerSLow: 500, tokensPerSHigh: 2000, prefillSeconds: 0.1, prefillSerialSeconds: 1,
                     kvBytesPerSequence: 1 << 30, contextTokens: 8192, speculativeGain: nil, draftWafers: 0, flags: "--sequences \(sequences) --batch \(b)")
    }

    @Test func usersSpreadOverReplicasAndTargetsAreChecked() throws {
        var request = ServeRequest(count: .init(modelPath: "m.yaml"))
        request.traffic = .users(64)
        request.minTokensPerSPerUser = 800
        // 16 sequences per replica: 4 replicas of 10 wafers; 16 micro-batches x 100k cycles > the 1M-cycle pass.
        let row = try #require(ServeModel.deployment(Self.replica(sequences: 16, wafers: 10), prefill: .same, prefillReplica: nil, request: request, linkGbps: 1200))
        #expect(row.replicas == 4 && row.wafersTotal == 40 && row.usersPerReplica == 16)
        #expect(abs(row.tokensPerSPerUser - 625) < 1e-9 && row.boundBy == "busiest region")
        #expect(!row.meetsTargets && row.misses.count == 1)
        #expect(abs(row.aggregateTokensPerS - 64 * 625) < 1e-6)
        #expect(abs(row.waferHoursPerMillionTokens - 40 / (64 * 625.0) * 1e6 / 3600) < 1e-9)
        #expect(abs(row.tokensPerSPerUserLow - 312.5) < 1e-9 && abs(row.tokensPerSPerUserHigh - 1250) < 1e-9, "the estimate's range scales the row")
        let fast = try #require(ServeModel.deployment(Self.replica(sequences: 8, wafers: 8), prefill: .same, prefillReplica: nil, request: request, linkGbps: 1200))
        #expect(fast.meetsTargets && fast.replicas == 8 && fast.wafersTotal == 64 && abs(fast.tokensPerSPerUser - 1000) < 1e-9)
    }

    @Test func rankingPutsMeetingRowsFirstAndMarksTheParetoFront() throws {
        var request = ServeRequest(count: .init(modelPath: "m.yaml"))
        request.traffic = .users(64)
        request.minTokensPerSPerUser = 800
        let rows = [Self.replica(sequences: 16, wafers: 10), Self.replica(sequences: 8, wafers: 8), Self.replica(sequences: 4, wafers: 7), Self.replica(sequences: 64, wafers: 20)]
            .compactMap { ServeModel.deployment($0, prefill: .same, prefillReplica: nil, request: request, linkGbps: 1200) }
        let ranked = ServeModel.rank(rows)
        #expect(ranked.map(\.meetsTargets) == [true, true, false, false])
        #expect(ranked[0].wafersTotal == 64 && ranked[1].wafersTotal == 112, "fewest wafers first among rows that meet")
        // Same per-user speed, fewer wafers and more per wafer: 64 wafers dominates 112.
        #expect(ranked[0].pareto && !ranked[1].pareto)
        #expect(!ranked[2].pareto && !ranked[3].pareto, "rows that miss are off the front when some meet")
    }

    @Test func requestRateSizesReplicasByLittlesLaw() throws {
        var request = ServeRequest(count: .init(modelPath: "m.yaml"))
        request.traffic = .requestRate(10)
        request.outputTokens = 1_000
        let row = try #require(ServeModel.deployment(Self.replica(sequences: 8, wafers: 8), prefill: .remote(tokensPerS: 1e6), prefillReplica: nil, request: request, linkGbps: 1200))
        // Per replica: 8 / (ttft + 1000 / 1000 tokens/s) requests/s; ceil(10 / that) replicas.
        let ttft = Double(request.resolvedPromptTokens) / 1e6 + Double(1 << 30) * Double(request.resolvedPromptTokens) / 8192 * 8 / 1.2e12
        #expect(row.replicas == Int((10 / (8 / (ttft + 1))).rounded(.up)))
        #expect(abs(row.aggregateTokensPerS - 10_000) < 1e-6 && abs((row.requestsPerS ?? 0) - 10) < 1e-12)
    }

    // MARK: the command

    static let tiny = ["serve", "examples/models/tiny.yaml", "--target", "small64", "--context", "32768", "--users", "16", "--tokens-per-s", "20000"]

    @Test func servePlacesEveryUsersKVCacheAndIsDeterministic() throws {
        let r1 = try CLI.run(Self.tiny + ["--format", "json", "--threads", "1"])
        let r2 = try CLI.run(Self.tiny + ["--format", "json", "--threads", "2"])
        #expect(r1.status == 0, "\(r1.stderr)")
        #expect(r1.stdout == r2.stdout, "--threads 1 and 2 must print the same")
        let object = try #require(try JSONSerialization.jsonObject(with: Data(r1.stdout.utf8)) as? [String: Any])
        let rows = try #require(object["rows"] as? [[String: Any]])
        #expect(!rows.isEmpty)
        for row in rows {
            for key in ["wafers_total", "replicas", "tokens_per_s_per_user", "aggregate_tokens_per_s", "wafer_hours_per_million_tokens"] {
                #expect(row[key] != nil, "row lacks \(key)")
            }
            let replicas = try #require(row["replicas"] as? Int), perReplica = try #require(row["sequences_per_replica"] as? Int)
            #expect(replicas * perReplica >= 16, "every user has a KV cache somewhere")
        }
        // The first row's replica holds its sequences' KV: the same count on its own says the same wafers.
        let first = rows[0]
        let flags = try #require(first["flags"] as? String).split(separator: " ").map(String.init)
        let count = try CLI.run(["count", "examples/models/tiny.yaml", "--target", "small64", "--format", "json"] + flags)
        let counted = try #require(try JSONSerialization.jsonObject(with: Data(count.stdout.utf8)) as? [String: Any])
        #expect(counted["wafers"] as? Int == first["wafers_per_replica"] as? Int)
        #expect(counted["sequences"] as? Int == first["sequences_per_replica"] as? Int)
        let table = try CLI.run(Self.tiny)
        for phrase in ["16 concurrent users", "Pareto front", "replica flags", "assumptions:", "wafer-h/M"] {
            #expect(table.stdout.contains(phrase), "missing '\(phrase)'")
        }
    }

    @Test func emitWritesAPlanTheExecutorChecks() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("wafermap-serve-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: dir) }
        let svg = dir.path + ".svg"
        defer { try? FileManager.default.removeItem(atPath: svg) }
        let r = try CLI.run(Self.tiny + ["--emit", dir.path, "--svg", svg])
        #expect(r.status == 0, "\(r.stderr)")
        #expect(r.stdout.contains("executor passed"))
        let plan = dir.appendingPathComponent("replica.plan.json").path
        let check = try CLI.run(["check-plan", plan])
        #expect(check.status == 0, "\(check.stdout)\(check.stderr)")
        let deployment = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: dir.appendingPathComponent("deployment.json"))) as? [String: Any])
        #expect(deployment["replica_plan"] as? String == "replica.plan.json")
        let picture = try String(contentsOfFile: svg, encoding: .utf8)
        #expect(picture.hasPrefix("<svg") && picture.contains("tokens/s per user") && picture.contains("<title>"))
        Self.checkPlot(picture)
    }

    /// A step of 1, 2 or 5 times a power of ten.
    static func nice(_ step: Double) -> Bool {
        guard step > 0 else { return false }
        let mantissa = step / pow(10, (log10(step) + 1e-9).rounded(.down))
        return [1.0, 2, 5].contains { abs(mantissa - $0) < 1e-6 }
    }

    /// The checks every `serve --svg` passes: both axes' tick labels evenly spaced on a nice
    /// step and multiples of it; the legend's swatches exactly the colours of the points drawn,
    /// the target's line sample only with a target line. Returns the legend's labels.
    @discardableResult
    static func checkPlot(_ svg: String, sourceLocation: SourceLocation = #_sourceLocation) -> [String] {
        let m = SweepPlotTests.matches
        let xs = m("<text x=\"[0-9.]+\" y=\"[0-9.]+\" text-anchor=\"middle\">([-0-9.]+)</text>", svg).compactMap { Double($0[1]) }
        let ys = m("<text x=\"[0-9.]+\" y=\"[0-9.]+\" text-anchor=\"end\">([-0-9.]+)</text>", svg).compactMap { Double($0[1]) }
        for (axis, ticks) in [("x", xs), ("y", ys)] {
            #expect(ticks.count >= 2, "\(axis) ticks \(ticks)", sourceLocation: sourceLocation)
            let steps = zip(ticks, ticks.dropFirst()).map { $1 - $0 }
            let step = steps.first ?? 0
            #expect(nice(step) && steps.allSatisfy { abs($0 - step) < 1e-9 * max(1, step) }, "\(axis) ticks \(ticks) not on a nice step", sourceLocation: sourceLocation)
            #expect(ticks.allSatisfy { abs(($0 / step).rounded() * step - $0) < 1e-6 * max(1, step) }, "\(axis) ticks \(ticks)", sourceLocation: sourceLocation)
        }
        let points = Set(m("<circle [^>]*fill=\"(#[0-9A-F]{6})\"/></g>", svg).map { $0[1] })
        let swatches = m("<rect x=\"[0-9.]+\" y=\"[0-9.]+\" width=\"10\" height=\"10\" fill=\"(#[0-9A-F]{6})\"/><text [^>]*>([^<]*)</text>", svg)
        #expect(Set(swatches.map { $0[1] }) == points && swatches.count == points.count, "legend \(swatches.map { $0[1] }), points \(points.sorted())", sourceLocation: sourceLocation)
        let targetSample = m("<line [^>]*stroke-dasharray=\"6 4\"/><text [^>]*>(target [^<]*)</text>", svg)
        let targetLine = m("<line [^>]*stroke-dasharray=\"6 4\"><title>target: ", svg)
        #expect(targetSample.count == targetLine.count && targetLine.count <= 1, sourceLocation: sourceLocation)
        return swatches.map { $0[2] } + targetSample.map { $0[1] }
    }

    /// The legend lists only what is drawn: no "misses a target" when every deployment meets
    /// the targets, no joined front for a single point; the ticks are round.
    @Test func servePlotLegendListsOnlyWhatIsDrawn() throws {
        var request = ServeRequest(count: .init(modelPath: "m.yaml"))
        request.traffic = .users(64)
        request.minTokensPerSPerUser = 800
        func report(_ replicas: [ServeReplica]) -> ServeReport {
            let rows = ServeModel.rank(replicas.compactMap { ServeModel.deployment($0, prefill: .same, prefillReplica: nil, request: request, linkGbps: 1200) })
            return ServeReport(model: "m", target: "t", traffic: "64 concurrent users", contextTokens: 8192, promptTokens: 0, outputTokens: nil,
                               minTokensPerSPerUser: 800, maxTimeToFirstTokenMs: nil, rows: rows, replicasCompiled: [], skipped: [], assumptions: [])
        }
        let meeting = report([Self.replica(sequences: 8, wafers: 8), Self.replica(sequences: 4, wafers: 7)])
        #expect(meeting.rows.allSatisfy(\.meetsTargets) && meeting.rows.filter(\.pareto).count == 1)
        let svg = ServePlot.svg(meeting)
        #expect(Self.checkPlot(svg) == ["Pareto front", "meets the targets", "target 800 tokens/s per user"])
        #expect(!svg.contains(SVGPlot.grey) && !svg.contains("<polyline"))
        #expect(svg == ServePlot.svg(meeting))
        let mixed = report([Self.replica(sequences: 8, wafers: 8), Self.replica(sequences: 4, wafers: 7), Self.replica(sequences: 16, wafers: 10)])
        #expect(Self.checkPlot(ServePlot.svg(mixed)) == ["Pareto front", "meets the targets", "misses a target", "target 800 tokens/s per user"])
    }

    @Test func aPlanWithSequencesRecordsThemAndMatchesTheSchema() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("wafermap-seq-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let plan = dir.appendingPathComponent("tiny.plan.json").path
        let r = try CLI.run(["compile", "examples/models/tiny.yaml", "--target", "small64", "--context", "32768", "--batch", "2", "--sequences", "6", "-o", plan])
        #expect(r.status == 0, "\(r.stderr)")
        let object = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: plan))) as? [String: Any])
        let inputs = try #require(object["inputs"] as? [String: Any])
        #expect(inputs["sequences"] as? Int == 6 && inputs["batch"] as? Int == 2)
        let schema = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: TestPaths.root.appendingPathComponent("docs/plan.schema.json"))) as? [String: Any])
        #expect(JSONSchemaValidator(schema: schema).errors(object) == [])
        #expect(try CLI.run(["check-plan", plan]).status == 0)
    }

    @Test func badServeFlagsAreClearErrors() throws {
        let cases: [([String], String)] = [
            (["--users", "0"], "--users must be between"),
            (["--request-rate", "5"], "--request-rate needs --output-tokens"),
            (["--prefill", "moon"], "expected same, separate or remote"),
            (["--batch", "4"], "serve chooses the micro-batch"),
            (["--batches", "0"], "--batches must list"),
        ]
        for (extra, message) in cases {
            let base = ["serve", "examples/models/tiny.yaml", "--target", "small64"] + (extra.contains("--request-rate") ? [] : [])
            let r = try CLI.run(base + extra)
            #expect(r.status == 1 && r.stderr.contains(message), "\(extra): \(r.stderr)")
        }
        let both = try CLI.run(["serve", "examples/models/tiny.yaml", "--users", "2", "--request-rate", "1"])
        #expect(both.status == 1 && both.stderr.contains("not both"))
    }

    @Test func sequencesPlaceKVCachesBeyondTheMicroBatch() throws {
        func kv(_ extra: [String]) throws -> (Int, Int) {
            let r = try CLI.run(["count", "examples/models/tiny.yaml", "--target", "small64", "--context", "32768", "--format", "json"] + extra)
            let o = try #require(try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any])
            return (try #require(o["kv_bytes"] as? Int), try #require(o["sequences"] as? Int))
        }
        let (one, s1) = try kv([])
        let (eight, s8) = try kv(["--sequences", "8"])
        #expect(s1 == 1 && s8 == 8 && eight == 8 * one)
        let bad = try CLI.run(["count", "examples/models/tiny.yaml", "--batch", "4", "--sequences", "2"])
        #expect(bad.status == 1 && bad.stderr.contains("--sequences must be between --batch"))
    }
}
