import Foundation
import Testing
import WaferMap
import WaferStudy
import WaferPerf
import WaferReport
import WaferPasses
import WaferSupport
import WaferTarget
import WaferTestSupport

/// The performance model against WaferLLM's measured decode (examples/calibration), the pinned
/// mapping (`--slot`), the report's time split, first token and pipeline figures, and `sweep`.
@Suite struct CalibrationTests {
    static let calibration = TestPaths.root.appendingPathComponent("examples/calibration/waferllm-wse2.yaml").path

    /// One run shared by the assertions below (16 compiles; the slowest test of the suite).
    static let report: Result<CalibrationReport, Error> = {
        var request = CalibrationRequest(path: calibration)
        request.fit = true
        return Result { try Driver.calibrate(request) }
    }()

    /// The bound docs/performance-model.md and the README state ("within 2.4%" on every point, for
    /// the analytic model, the simulation and the fit). Measured: 2.374% analytic, 2.368% simulated,
    /// 2.378% for the fit, all at CodeLlama-34B, P = 540 (`wafermap calibrate --fit --format json`:
    /// `max_analytic_error`, `max_simulated_error`, `fit.max_abs_error`). A change that moves a
    /// point past it must update those documents too.
    static let documentedBound = 0.024

    @Test func everyPublishedPointIsPredictedWithinTheDocumentedBoundByBothModels() throws {
        let report = try Self.report.get()
        #expect(report.points.count == 12)
        #expect(report.maxAnalyticError <= Self.documentedBound)
        #expect(report.maxSimulatedError <= Self.documentedBound)
        for p in report.points {
            #expect(abs(p.analyticError) <= Self.documentedBound, "\(p.model) at P = \(p.region): analytic \(p.analyticTokensPerS) vs measured \(p.measuredTokensPerS)")
            #expect(abs(p.simulatedError) <= Self.documentedBound, "\(p.model) at P = \(p.region): simulated \(p.simulatedTokensPerS) vs measured \(p.measuredTokensPerS)")
            // Counting hand-offs, links, embedding and LM head can only add time.
            #expect(p.wholeModelTokensPerS < p.analyticTokensPerS)
        }
        // The measurements fall as P grows; so must the predictions (per model).
        for model in Set(report.points.map(\.model)) {
            let byRegion = report.points.filter { $0.model == model }.sorted { $0.region < $1.region }
            for (a, b) in zip(byRegion, byRegion.dropFirst()) where a.measuredTokensPerS > b.measuredTokensPerS * 1.05 {
                #expect(a.analyticTokensPerS > b.analyticTokensPerS, "\(model): P = \(a.region) should beat P = \(b.region)")
            }
        }
    }

    @Test func theFitRecoversTheShippedWSE2Constants() throws {
        let report = try Self.report.get()
        let fit = try #require(report.fit)
        let wse2 = try BuiltinTargets.resolve("wse2")
        // The built-in constants are the fit's output: refitting lands on them again.
        #expect(abs(fit.macsPerCycle - wse2.macs(for: .fp16)) <= 0.02)
        #expect(abs(fit.relayCycles - wse2.relayLatencyCycles) <= 1)
        #expect(abs(fit.layerOverheadCycles - wse2.layerOverheadCycles) <= 30)
        #expect(fit.maxAbsError <= Self.documentedBound)
        #expect(fit.errors.count == 12)
    }

    /// The leave-one-model-out bound docs/performance-model.md states ("within 4.0%"). Measured:
    /// 3.94%, Llama 3 8B at P = 540 predicted by the fit to the other three models
    /// (`wafermap calibrate --fit --format json`: `held_out_max_abs_error`).
    static let documentedHeldOutBound = 0.040

    @Test func heldOutErrorsComeFromFitsThatNeverSawTheHeldOutModel() throws {
        let report = try Self.report.get()
        let full = try #require(report.fit)
        let heldOut = try #require(report.heldOut)
        let clock = try BuiltinTargets.resolve("wse2").clockMHz
        let terms = report.points.map(\.term)
        let models = Set(terms.map(\.model))
        #expect(models.count == 4)
        #expect(heldOut.folds.count == 4)
        #expect(heldOut.points.count == 12)
        for model in models {
            // Refit by hand without the model: the held-out figures are that fit's predictions.
            let training = terms.filter { $0.model != model }
            #expect(training.count == 9)
            let fold = try CalibrationFit(training, clockMHz: clock)
            #expect(fold.macsPerCycle != full.macsPerCycle || fold.relayCycles != full.relayCycles || fold.layerOverheadCycles != full.layerOverheadCycles,
                    "holding out \(model) should move the constants")
            let reported = try #require(heldOut.folds.first { $0.heldOutModel == model })
            #expect(reported.fittedPoints == 9)
            #expect(reported.macsPerCycle == fold.macsPerCycle && reported.relayCycles == fold.relayCycles && reported.layerOverheadCycles == fold.layerOverheadCycles)
            for (t, p) in zip(terms, heldOut.points) where t.model == model {
                #expect(p.model == model && p.region == t.region)
                #expect(p.heldOutTokensPerS == fold.tokensPerS(t, clockMHz: clock))
                #expect(p.heldOutError == p.heldOutTokensPerS / t.measuredTokensPerS - 1)
            }
        }
        // The in-sample fit predicts its own points better overall than the held-out folds do.
        #expect(heldOut.maxAbsError >= full.maxAbsError)
        #expect(heldOut.maxAbsError <= Self.documentedHeldOutBound)
        #expect(report.heldOutMaxAbsError == heldOut.maxAbsError)
    }

    @Test func heldOutNeedsTwoModelsAndNamesASingularFold() throws {
        func term(_ model: String, _ mac: Int, _ relay: Int, _ measured: Double) -> CalibrationFit.Term {
            .init(macCycles: mac, relayStages: relay, layers: 10, otherCycles: 1000, measuredTokensPerS: measured, model: model, region: mac)
        }
        let one = [term("a", 100_000, 40, 5000), term("a", 200_000, 50, 3000), term("a", 300_000, 60, 2000)]
        #expect(try CalibrationHoldOut.leaveOneModelOut(one, clockMHz: 1000) == nil)
        // Holding out "a" leaves one point with no MAC or relay term: singular, and the error says which fold.
        let two = one + [term("b", 0, 0, 4000)]
        do {
            _ = try CalibrationHoldOut.leaveOneModelOut(two, clockMHz: 1000)
            Issue.record("a fold with one point was fitted")
        } catch {
            #expect("\(error)".contains("holding out a"))
        }
    }

    @Test func theCompilersOwnMappingIsAtLeastAsFastAsThePublishedOne() throws {
        let report = try Self.report.get()
        #expect(report.own.count == 4)
        for r in report.own {
            #expect(r.ratioToPublished >= 1.0, "\(r.model): \(r.predictedTokensPerS) tokens/s vs published \(r.publishedBestTokensPerS)")
            #expect(abs(r.simulatedTokensPerS / r.predictedTokensPerS - 1) < 0.02)
            #expect(r.handoffAndLinkShare > 0)
        }
    }

    @Test func slotPinsEveryWaferToTheGivenShape() throws {
        var count = CountRequest(modelPath: TestPaths.example("llama-3.1-8b"))
        count.target = "wse2"
        count.deployment = DeploymentOptions(contextTokens: 4096, slot: SlotShape(width: 420, height: 420))
        let report = try Driver.count(count)
        let layout = try #require(report.results.first?.graph.layout)
        #expect(layout.wafers.allSatisfy { $0.slotWidth == 420 && $0.slotHeight == 420 && $0.gridColumns == 1 && $0.gridRows == 2 })
        // A slot larger than the program area is refused with a clear error.
        count.deployment.slot = SlotShape(width: 800, height: 100)
        #expect(throws: DiagnosticError.self) { try Driver.count(count) }
        #expect(SlotShape(parsing: "420") == SlotShape(width: 420, height: 420))
        #expect(SlotShape(parsing: "300x200") == SlotShape(width: 300, height: 200))
        for bad in ["0", "x", "abc", "10x", "-5", "300x200x1", "200000"] { #expect(SlotShape(parsing: bad) == nil) }
    }

    @Test func theEstimateSplitsTheTokenAndAddsFirstTokenAndPipeline() throws {
        var count = CountRequest(modelPath: TestPaths.example("llama-3.1-8b"))
        count.deployment = DeploymentOptions(contextTokens: 4096, wafers: .exactly(2))
        let report = try Driver.count(count)
        let result = try #require(report.results.first)
        let short = try #require(PerformanceEstimate(graph: result.graph, target: report.target, promptTokens: 256))
        let long = try #require(PerformanceEstimate(graph: result.graph, target: report.target, promptTokens: 4096))
        #expect(short.computeCycles + short.elementwiseCycles + short.allreduceCycles + short.handoffCycles + short.waferLinkCycles - short.overlappedCycles == short.cyclesPerToken)
        #expect(short.waferLinkCycles > 0)          // two wafers
        #expect(short.decoderLayers == 32)
        #expect(short.decoderLayerCycles < short.cyclesPerToken)
        // Serial prefill is superlinear in the prompt (causal attention) and dwarfs one decode step.
        #expect(long.prefillSerialCycles > 16 * short.prefillSerialCycles)
        #expect(short.prefillCycles > short.cyclesPerToken)
        // Pipelined through the regions in chunks: never above the serial figure, below it here.
        for p in [short, long] {
            #expect(p.prefillCycles <= p.prefillSerialCycles)
            #expect(p.prefillChunks > 1 && p.prefillCycles < p.prefillSerialCycles)
            #expect(p.prefillChunks * p.prefillChunkTokens >= p.promptTokens && (p.prefillChunks - 1) * p.prefillChunkTokens < p.promptTokens)
        }
        #expect(long.prefillCycles > short.prefillCycles)
        // In flight: at least one sequence, at most one per region; the aggregate never falls below one user.
        #expect(short.sequencesInFlight >= 1 && short.sequencesInFlight <= short.pipelineRegions)
        #expect(short.aggregateTokensPerS >= short.tokensPerS * 0.999)
        #expect(short.aggregateTokensPerS <= short.tokensPerS * Double(short.sequencesInFlight) * 1.001)
    }

    @Test func prefillPipelineIsFillAndDrain() {
        // Two regions, 10 and 30 cycles a chunk, C = 8 chunks: 10 + 30 + 7 x 30 = 250 (serial: 8 x 40 = 320).
        #expect(PrefillPipeline.fillAndDrain([Array(repeating: 10, count: 8), Array(repeating: 30, count: 8)]) == 250)
        #expect(PrefillPipeline.fillAndDrain([Array(repeating: 30, count: 8), Array(repeating: 10, count: 8)]) == 250)
        // One chunk: the regions one after another, the serial sum.
        #expect(PrefillPipeline.fillAndDrain([[10], [30], [5]]) == 45)
        // Chunk times that differ (later chunks attend to more): region 0 ends chunks at 3, 4;
        // region 1 starts chunk 0 at 3 (ends 4) and chunk 1 at 4 (ends 7). The bound with each
        // region's slowest chunk, 3 + 3 + 1 x 3 = 9, is above it.
        #expect(PrefillPipeline.fillAndDrain([[3, 1], [1, 3]]) == 7)
        #expect(PrefillPipeline.fillAndDrain([]) == 0)
    }

    @Test func sweepRanksMappingsAndMarksTheParetoFront() throws {
        // Untied: a tied head cannot be spread away from its embedding (the partition refuses).
        var count = CountRequest(modelPath: TestPaths.fixture("models/tiny-untied.yaml"))
        count.target = "small64"
        var request = SweepRequest(count: count)
        request.extraWafers = 1
        request.slots = [SlotShape(width: 24, height: 24)]
        let report = try Driver.sweep(request)
        #expect(report.rows.count >= 3)
        for (a, b) in zip(report.rows, report.rows.dropFirst()) { #expect(a.tokensPerS >= b.tokensPerS) }
        #expect(report.rows.first?.pareto == true)
        // Pareto rows: nothing else is at least as fast on no more wafers.
        for r in report.rows where r.pareto {
            #expect(!report.rows.contains { $0.wafers < r.wafers && $0.tokensPerS > r.tokensPerS })
        }
        // A row's flags reproduce its figure.
        let row = try #require(report.rows.first { $0.flags.contains("--slot") })
        var again = CountRequest(modelPath: TestPaths.fixture("models/tiny-untied.yaml"))
        again.target = "small64"
        again.deployment = DeploymentOptions(wafers: .exactly(row.wafers), slot: SlotShape(width: 24, height: 24))
        let compiled = try Driver.count(again)
        let graph = try #require(compiled.results.first?.graph)
        let estimate = try #require(PerformanceEstimate(graph: graph, target: compiled.target))
        #expect(estimate.tokensPerS == row.tokensPerS)
    }

    @Test func badCalibrationFilesGetLocatedErrors() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("wafermap-cal-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let path = directory.appendingPathComponent("c.yaml").path
        try "version: 1\nsource: x\ntarget: wse2\ncontext_tokens: 4096\npoints:\n  - {model: m.yaml, region: 420}\n".write(toFile: path, atomically: true, encoding: .utf8)
        do {
            _ = try CalibrationSet.load(path: path)
            Issue.record("a point without a measurement was accepted")
        } catch {
            let text = "\(error)"
            #expect(text.contains("measured_tokens_per_s"))
            #expect(text.contains("c.yaml:6:"))
        }
        try "version: 2\nsource: x\n".write(toFile: path, atomically: true, encoding: .utf8)
        #expect(throws: DiagnosticError.self) { try CalibrationSet.load(path: path) }
    }

    @Test func cliPrintsTheCalibrationAndTheNewPerformanceLines() throws {
        let out = try CLI.run(["calibrate", "--fit", "--no-own-mapping", "--format", "json"])
        #expect(out.status == 0)
        let json = try #require(try JSONSerialization.jsonObject(with: Data(out.stdout.utf8)) as? [String: Any])
        #expect((json["points"] as? [Any])?.count == 12)
        #expect((json["held_out_max_abs_error"] as? Double).map { $0 <= Self.documentedHeldOutBound } == true)
        #expect(((json["held_out"] as? [String: Any])?["points"] as? [Any])?.count == 12)
        #expect((json["max_analytic_error"] as? Double).map { $0 <= 0.10 } == true)
        let perf = try CLI.run(["count", "examples/models/tiny.yaml", "--target", "small64", "--perf", "--prompt", "512"])
        #expect(perf.status == 0)
        for line in ["per token", "on-wafer communication", "wafer-to-wafer", "first token", "512-token prompt", "pipeline"] {
            #expect(perf.stdout.contains(line), "missing '\(line)'")
        }
        let bad = try CLI.run(["count", "examples/models/tiny.yaml", "--slot", "0x3"])
        #expect(bad.status == 1)
        #expect(bad.stderr.contains("--slot"))
        let sweep = try CLI.run(["sweep", "examples/models/tiny.yaml", "--target", "small64", "--extra-wafers", "1"])
        #expect(sweep.status == 0)
        #expect(sweep.stdout.contains("Pareto"))
    }
}
