import Foundation
import Testing
import WaferFrontend
import WaferIR
import WaferMap
import WaferStudy
import WaferPerf
import WaferReport
import WaferSupport
import WaferTestSupport

/// The speculative decoding estimate (docs/performance-model.md, "Speculative decoding"): the
/// acceptance formula, the verify and draft costs, where the draft lives, and how `auto`
/// chooses a draft.
@Suite struct SpeculativeDecodingTests {
    /// tiny on two small64 wafers runs in two regions: the verify pass can pipeline.
    static func tinyOnSmall64() throws -> (graph: Graph, plain: PerformanceEstimate, report: CountReport) {
        var count = CountRequest(modelPath: TestPaths.example("tiny"))
        count.target = "small64"
        count.deployment.wafers = .exactly(2)
        let report = try Driver.count(count)
        let graph = try #require(report.results.first?.graph)
        let plain = try #require(PerformanceEstimate(graph: graph, target: report.target))
        return (graph, plain, report)
    }

    @Test func expectedTokensPerPassIsTheGeometricSum() {
        for k in [1, 2, 4, 8] {
            for a in [0.3, 0.6, 0.85, 0.95] {
                let sum = (0...k).reduce(0.0) { $0 + pow(a, Double($1)) }
                #expect(abs(SpeculativeEstimate.expectedTokensPerPass(draftTokens: k, acceptance: a) - sum) < 1e-12)
            }
        }
        // DeepSeek-V3's MTP at k = 1, a = 0.85: 1.85 tokens per pass (its report: 1.8x TPS).
        #expect(abs(SpeculativeEstimate.expectedTokensPerPass(draftTokens: 1, acceptance: 0.85) - 1.85) < 1e-12)
        #expect(SpeculativeEstimate.expectedTokensPerPass(draftTokens: 4, acceptance: 1) == 5)
        #expect(SpeculativeEstimate.expectedTokensPerPass(draftTokens: 0, acceptance: 0.9) == 1)
    }

    @Test func parametersOutOfRangeAreRefused() throws {
        #expect(SpeculativeEstimate.parameterProblem(draftTokens: 4, acceptance: 0.8) == nil)
        #expect(SpeculativeEstimate.parameterProblem(draftTokens: 0, acceptance: 0.8)?.contains("--draft-tokens") == true)
        #expect(SpeculativeEstimate.parameterProblem(draftTokens: 65, acceptance: 0.8)?.contains("--draft-tokens") == true)
        for a in [0.0, 1.0, -0.1, 1.5, Double.nan] {
            #expect(SpeculativeEstimate.parameterProblem(draftTokens: 2, acceptance: a)?.contains("--acceptance-rate") == true)
        }
        #expect(throws: DiagnosticError.self) { try SpeculativeRequest.checked(draft: nil, draftTokens: 3, acceptanceRate: nil) }
        let none = try SpeculativeRequest.checked(draft: nil, draftTokens: nil, acceptanceRate: nil)
        #expect(none == nil)
    }

    /// One position costs the plain decode; each further position adds about one busiest-region
    /// token: more than nothing, less than a whole token when the wafer is pipelined.
    @Test func verifyCostsOneTokenPlusKBusiestRegionTokens() throws {
        let (graph, plain, report) = try Self.tinyOnSmall64()
        #expect(plain.pipelineRegions > 1)
        #expect(SpeculativeEstimate.verifyCycles(graph: graph, target: report.target, tokens: 1) == plain.cyclesPerToken)
        var previous = plain.cyclesPerToken
        for tokens in 2...6 {
            let verify = try #require(SpeculativeEstimate.verifyCycles(graph: graph, target: report.target, tokens: tokens))
            #expect(verify > previous)
            #expect(verify < tokens * plain.cyclesPerToken)
            previous = verify
        }
        let five = try #require(SpeculativeEstimate.verifyCycles(graph: graph, target: report.target, tokens: 5))
        // The flow shop adds at least the busiest region's time for each extra token it streams.
        #expect(five - plain.cyclesPerToken >= 4 * plain.bottleneckCycles / 2)
    }

    /// A cheap draft at a high acceptance beats the plain decode; the figure is the formula's.
    @Test func cheapDraftAtHighAcceptanceIsFasterAndEqualsTheFormula() throws {
        let (graph, plain, report) = try Self.tinyOnSmall64()
        let draft = SpeculativeDraft(name: "cheap", kind: .eagle, reason: "test", cyclesPerToken: 10, clockMhz: plain.clockMhz, residentBytes: 0, wafers: 1)
        let s = try #require(SpeculativeEstimate(plain: plain, graph: graph, target: report.target, draft: draft, draftTokens: 4, acceptanceRate: 0.95))
        let verify = try #require(SpeculativeEstimate.verifyCycles(graph: graph, target: report.target, tokens: 5))
        let expected = SpeculativeEstimate.expectedTokensPerPass(draftTokens: 4, acceptance: 0.95) / (Double(40 + verify) / (plain.clockMhz * 1e6))
        #expect(abs(s.speculativeTokensPerS - expected) <= 0.0005)
        #expect(s.speculativeTokensPerS > plain.tokensPerS)
        #expect(abs(s.tokensPerS - plain.tokensPerS) <= 0.0005)
        #expect(s.draftCyclesPerPass == 40 && s.verifyCyclesPerPass == verify)
        #expect(s.draftLocation == .spareSram && s.wafersTotal == s.targetWafers)
        // A draft as slow as the target with poor acceptance is slower than plain decoding.
        let slow = SpeculativeDraft(name: "slow", kind: .model, reason: "test", cyclesPerToken: plain.cyclesPerToken, clockMhz: plain.clockMhz,
                                    residentBytes: 0, wafers: 1)
        let bad = try #require(SpeculativeEstimate(plain: plain, graph: graph, target: report.target, draft: slow, draftTokens: 4, acceptanceRate: 0.3))
        #expect(bad.speculativeTokensPerS < plain.tokensPerS)
    }

    /// A draft larger than the spare SRAM goes on wafers of its own, and the count grows by them.
    @Test func draftThatDoesNotFitAddsItsWafers() throws {
        let (graph, plain, report) = try Self.tinyOnSmall64()
        let big = SpeculativeDraft(name: "big", kind: .model, reason: "test", cyclesPerToken: 100, clockMhz: plain.clockMhz,
                                   residentBytes: plain.spareBytes + 1, wafers: 2)
        let s = try #require(SpeculativeEstimate(plain: plain, graph: graph, target: report.target, draft: big, draftTokens: 3, acceptanceRate: 0.7))
        #expect(s.draftLocation == .extraWafers)
        #expect(s.draftWafers == 2 && s.wafersTotal == s.targetWafers + 2)
        #expect(s.summary().contains("draft on 2 extra wafers"))
        let fits = SpeculativeDraft(name: "fits", kind: .model, reason: "test", cyclesPerToken: 100, clockMhz: plain.clockMhz,
                                    residentBytes: plain.spareBytes, wafers: 2)
        let t = try #require(SpeculativeEstimate(plain: plain, graph: graph, target: report.target, draft: fits, draftTokens: 3, acceptanceRate: 0.7))
        #expect(t.draftLocation == .spareSram && t.wafersTotal == t.targetWafers)
    }

    /// `auto`: MTP where the model has it, else the family's small model, else an EAGLE head.
    @Test func autoChoosesMTPThenFamilyThenEagle() throws {
        let cases: [(String, DraftSource.Kind, String)] = [
            ("deepseek-v3", .mtp, "deepseek-v3-mtp"), ("glm-4.5", .mtp, "glm-4.5-mtp"),
            ("llama-3.1-70b", .model, "llama-3.2-1b"), ("llama-3.1-405b", .model, "llama-3.2-1b"), ("llama-3.1-8b", .model, "llama-3.2-1b"),
            ("gpt-oss-120b", .model, "gpt-oss-20b"), ("qwen3-235b-a22b", .model, "qwen3-32b"), ("mixtral-8x7b", .model, "mistral-7b"),
            ("llama-3.2-1b", .eagle, "llama-3.2-1b-eagle-head"), ("qwen2.5-72b", .eagle, "qwen2.5-72b-eagle-head"),
            ("kimi-k2", .eagle, "kimi-k2-eagle-head"), ("tiny", .eagle, "tiny-eagle-head"),
        ]
        for (model, kind, name) in cases {
            let source = try DraftModels.choose("auto", targetPath: TestPaths.example(model))
            #expect(source.kind == kind, "\(model)")
            #expect(source.spec.name == name, "\(model)")
            #expect(source.sharesEmbedding == (kind != .model), "\(model)")
        }
        // `eagle` builds the head whatever the model has; a file is a `model` draft.
        #expect(try DraftModels.choose("eagle", targetPath: TestPaths.example("deepseek-v3")).spec.name == "deepseek-v3-eagle-head")
        #expect(try DraftModels.choose(TestPaths.example("llama-3.1-8b"), targetPath: TestPaths.example("llama-3.1-70b")).kind == .model)
    }

    /// The one-layer drafts have one decoder layer; an EAGLE head's mixer is dense, MTP keeps MoE.
    @Test func oneLayerDraftsHaveOneLayer() throws {
        let target = try DraftModels.loadSpec(path: TestPaths.example("deepseek-v3"))
        let eagle = try ModelLoader.build(DraftModels.oneLayer(target, eagle: true))
        let mtp = try ModelLoader.build(DraftModels.oneLayer(target, eagle: false))
        #expect(eagle.layerCount == 1 && mtp.layerCount == 1)
        #expect(eagle.hidden == target.hidden && eagle.vocab == target.vocab)
        #expect(!eagle.ops.contains { if case .moe = $0.kind { true } else { false } })
        #expect(mtp.ops.contains { if case .moe = $0.kind { true } else { false } })
    }
}

/// `--speculative` end to end: JSON keys beside the plain figure in count, compile and sweep.
@Suite struct SpeculativeCLITests {
    /// DeepSeek-V3 drafts with its own MTP layer, which fits in the spare SRAM: same wafer count,
    /// faster than plain at 85% acceptance.
    @Test func deepSeekDraftsWithItsMTPLayer() throws {
        let out = try CLI.run(["count", "examples/models/deepseek-v3.yaml", "--perf", "--speculative", "auto", "--format", "json"])
        #expect(out.status == 0)
        let json = try #require(try JSONSerialization.jsonObject(with: Data(out.stdout.utf8)) as? [String: Any])
        let s = try #require(json["speculative"] as? [String: Any])
        #expect(s["draft_kind"] as? String == "mtp")
        #expect(s["draft_tokens"] as? Int == 1)
        #expect(s["acceptance_rate"] as? Double == 0.85)
        #expect(s["draft_location"] as? String == "spare SRAM")
        #expect(s["wafers_total"] as? Int == json["wafers"] as? Int)
        let fast = try #require(s["speculative_tokens_per_s"] as? Double), plain = try #require(s["tokens_per_s"] as? Double)
        #expect(fast > plain)
        let perf = try #require(json["performance"] as? [String: Any])
        #expect(abs((perf["tokens_per_s_per_user"] as? Double ?? 0) - plain) < 0.001)
    }

    /// Mixtral's draft, Mistral 7B, does not fit in Mixtral's spare SRAM: it adds its wafer.
    @Test func mixtralDraftGetsAWaferOfItsOwn() throws {
        let out = try CLI.run(["count", "examples/models/mixtral-8x7b.yaml", "--perf", "--speculative", "auto"])
        #expect(out.status == 0)
        #expect(out.stdout.contains("draft mistral-7b (model: smaller Mistral model with the same tokenizer"))
        #expect(out.stdout.contains("draft on 1 extra wafer"))
        #expect(out.stdout.contains("4 wafers in all (3 target + 1 draft)"))
    }

    @Test func compileAndSweepReportSpeculativeTokensPerS() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("wafermap-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let plan = directory.appendingPathComponent("tiny.plan.json").path
        let compile = try CLI.run(["compile", "examples/models/tiny.yaml", "--target", "small64", "--wafers", "2", "-o", plan,
                                   "--speculative", "auto", "--draft-tokens", "2", "--format", "json"])
        #expect(compile.status == 0)
        let report = try #require(try JSONSerialization.jsonObject(with: Data(compile.stdout.utf8)) as? [String: Any])
        let s = try #require(report["speculative"] as? [String: Any])
        #expect(s["draft_tokens"] as? Int == 2)
        #expect(s["draft_kind"] as? String == "eagle")
        #expect((s["speculative_tokens_per_s"] as? Double ?? 0) > 0)
        let sweep = try CLI.run(["sweep", "examples/models/tiny.yaml", "--target", "small64", "--extra-wafers", "1", "--speculative", "auto", "--format", "json"])
        #expect(sweep.status == 0)
        let rows = try #require((try JSONSerialization.jsonObject(with: Data(sweep.stdout.utf8)) as? [String: Any])?["rows"] as? [[String: Any]])
        #expect(!rows.isEmpty && rows.allSatisfy { (($0["speculative"] as? [String: Any])?["speculative_tokens_per_s"] as? Double ?? 0) > 0 })
        let table = try CLI.run(["sweep", "examples/models/tiny.yaml", "--target", "small64", "--extra-wafers", "1", "--speculative", "auto"])
        #expect(table.stdout.contains("speculative decoding (--speculative):"))
        #expect(table.stdout.contains("rank 1: "))
    }
}
