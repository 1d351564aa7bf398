import Testing
import WaferFrontend
import WaferIR
import WaferPasses
import WaferSupport
import WaferTarget
import WaferTestSupport

/// Hand-computed KV-cache sizes for each attention kind.
@Suite struct KVCacheTests {
    let shape = KVCacheShape(contextTokens: 1000, batch: 2, element: .bf16)

    @Test func groupedQuery() {
        // Llama-3.1-8B layer: K and V of 8 kv heads x 128 = 2048 values per token.
        let gqa = OpKind.attention(AttentionAttributes(heads: 32, kvHeads: 8, headDim: 128))
        #expect(gqa.kvCacheBytes(shape) == 2 * 8 * 128 * 1000 * 2 * 2)
    }

    @Test func multiHead() {
        let mha = OpKind.attention(AttentionAttributes(heads: 40, kvHeads: 40, headDim: 128))
        #expect(mha.kvCacheBytes(shape) == 2 * 40 * 128 * 1000 * 2 * 2)
    }

    @Test func slidingWindowKeepsOnlyItsWindow() {
        let sliding = OpKind.attention(AttentionAttributes(heads: 64, kvHeads: 8, headDim: 64, slidingWindow: 128))
        #expect(sliding.kvCacheBytes(shape) == 2 * 8 * 64 * 128 * 2 * 2)
        let short = KVCacheShape(contextTokens: 100, batch: 1, element: .fp8_e4m3)
        #expect(sliding.kvCacheBytes(short) == 2 * 8 * 64 * 100 * 1)
    }

    @Test func latentAttention() {
        // Kimi K2 / DeepSeek-V3: kv_lora_rank 512 + qk_rope_head_dim 64 per token, whatever the head count.
        let mla = OpKind.mla(MLAAttributes(heads: 64, qLoraRank: 1536, kvLoraRank: 512, qkNopeHeadDim: 128, qkRopeHeadDim: 64, vHeadDim: 128))
        #expect(mla.kvCacheBytes(KVCacheShape(contextTokens: 131_072, batch: 1, element: .bf16)) == 576 * 131_072 * 2)
    }

    @Test func noCacheForOtherOps() {
        #expect(OpKind.mlp(MLPAttributes(intermediate: 8)).kvCacheBytes(shape) == 0)
    }

    @Test func overflowIsNil() {
        let gqa = OpKind.attention(AttentionAttributes(heads: 65536, kvHeads: 65536, headDim: 65536))
        #expect(gqa.kvCacheBytes(KVCacheShape(contextTokens: 1 << 30, batch: 1 << 20, element: .fp32)) == nil)
    }
}

@Suite struct PartitionTests {
    func partition(_ model: String, target: String = "wse3", deployment: DeploymentOptions = DeploymentOptions(),
                   defects: DefectSource = .none) throws -> Graph {
        var graph = try ModelLoader.load(path: TestPaths.example(model))
        let context = PassContext(target: try BuiltinTargets.resolve(target), defects: defects, deployment: deployment)
        _ = try PassManager(passes: try PassRegistry.pipeline(through: "partition")).run(&graph, context: context)
        return graph
    }

    /// Invariants every partition must keep, checked here independently of the verifier.
    func checkInvariants(_ graph: Graph) throws {
        let partition = try #require(graph.partition)
        var last = 0
        var weights = 0
        for op in graph.ops {
            let placement = try #require(op.placement)
            #expect(placement.wafer >= last)
            last = placement.wafer
            if case let .moe(a) = op.kind {
                #expect(placement.expertSlices.reduce(0) { $0 + $1.count } == a.experts)
            }
        }
        for stage in partition.stages {
            #expect(stage.weightBytes + stage.kvBytes <= stage.usableBytes)
            weights += stage.weightBytes
        }
        #expect(weights == (try graph.statistics()).weightBytes)
        #expect(partition.stages.count >= partition.lowerBoundWafers)
    }

    @Test(arguments: ["tiny", "llama-3.1-8b", "llama-3.1-405b", "mixtral-8x7b", "deepseek-v3", "kimi-k2", "gpt-oss-120b", "qwen3-235b-a22b"])
    func invariants(_ model: String) throws {
        try checkInvariants(try partition(model))
    }

    @Test func kimiAt128KOnWSE3() throws {
        let graph = try partition("kimi-k2", deployment: DeploymentOptions(contextTokens: 131_072))
        let p = try #require(graph.partition)
        #expect(p.stages.reduce(0) { $0 + $1.kvBytes } == 61 * 576 * 131_072 * 2)
        #expect(p.lowerBoundWafers == 31)  // ceil(1,038,383,941,472 / 34,372,915,200)
        // The partition packs where the tiles fit, padding included: one wafer more than the bytes.
        #expect(p.stages.count == 32)
        // It spreads the bytes: no wafer is filled past the share the fewest wafers need.
        #expect(p.fillLimit < 1 && p.stages.allSatisfy { Double($0.weightBytes + $0.kvBytes) <= p.fillLimit * Double($0.usableBytes) })
        #expect(p.stages.allSatisfy { $0.usableBytes == 883_350 * 38_912 })
    }

    @Test func theCountIsMinimal() throws {
        // Greedy filling is optimal: one wafer fewer must be impossible.
        for model in ["kimi-k2", "llama-3.1-405b", "deepseek-v3"] {
            let needed = try #require(try partition(model).partition?.stages.count)
            #expect(throws: DiagnosticError.self) {
                _ = try partition(model, deployment: DeploymentOptions(wafers: .exactly(needed - 1)))
            }
        }
    }

    @Test func aFixedCountUsesTheWafersAndNeverWorsensTheBottleneck() throws {
        let auto = try #require(try partition("llama-3.1-70b").partition)
        let fixed = try #require(try partition("llama-3.1-70b", deployment: DeploymentOptions(wafers: .exactly(8))).partition)
        #expect(fixed.stages.count <= 8)
        #expect(fixed.stages.count > auto.stages.count)
        #expect(fixed.stages.map(\.macsPerStep).max() ?? 0 <= auto.stages.map(\.macsPerStep).max() ?? 0)
    }

    @Test func tooFewWafersSaysHowManyAreNeeded() throws {
        do {
            _ = try partition("kimi-k2", deployment: DeploymentOptions(wafers: .exactly(10)))
            Issue.record("expected an error")
        } catch let error as DiagnosticError {
            #expect(error.diagnostics.first?.message == "kimi-k2 needs 32 wse3 wafers at context 8192 x batch 1 (lower bound 30), but --wafers 10 was given")
        }
    }

    @Test func aLayerLargerThanAWaferIsAnError() throws {
        do {
            // ~550 small32 wafers would hold Llama-3.1-8B's bytes, but its embedding alone is 1 GB.
            _ = try partition("llama-3.1-8b", target: "small32")
            Issue.record("expected an error")
        } catch let error as DiagnosticError {
            #expect(error.diagnostics.first?.message.hasPrefix("embed_tokens needs 1,050,673,152 bytes without its experts, more than wafer 0's usable") == true)
        }
    }

    @Test func defectsShrinkCapacity() throws {
        let target = try BuiltinTargets.resolve("wse3")
        let generator = DefectGenerator(target: target, rate: 0.01, seed: 9)
        let graph = try partition("deepseek-v3", defects: .generated(generator))
        try checkInvariants(graph)
        let p = try #require(graph.partition)
        for stage in p.stages {
            let dead = generator.wafer(stage.wafer).deadPEsInProgramArea(of: target)
            #expect(dead > 0)
            #expect(stage.livePEs == target.programPEs - dead)
            #expect(stage.usableBytes == stage.livePEs * target.dataBytesPerPE)
        }
        let clean = try #require(try partition("deepseek-v3").partition)
        #expect(p.stages.count >= clean.stages.count)
    }

    @Test func aDefectMapLimitsTheWafers() throws {
        let target = try BuiltinTargets.resolve("wse3")
        let map = DefectMap(targetName: "wse3", fabricWidth: 762, fabricHeight: 1172, wafers: Array(repeating: .none, count: 4))
        do {
            _ = try partition("kimi-k2", defects: .map(map))
            Issue.record("expected an error")
        } catch let error as DiagnosticError {
            #expect(error.diagnostics.first?.message.hasSuffix("but the defect map describes 4 wafers") == true)
        }
        _ = target
    }

    @Test func verifierCatchesACorruptedPartition() throws {
        var graph = try partition("mixtral-8x7b", deployment: DeploymentOptions(wafers: .exactly(3)))
        graph.partition?.stages[0].weightBytes += 1
        #expect(throws: DiagnosticError.self) { try Verifier.verify(graph, after: "test") }
        var backwards = try partition("mixtral-8x7b", deployment: DeploymentOptions(wafers: .exactly(3)))
        let lastIndex = backwards.ops.count - 1
        backwards.ops[lastIndex].placement = OpPlacement(wafer: 0)
        #expect(throws: DiagnosticError.self) { try Verifier.verify(backwards, after: "test") }
    }

    @Test func holdingsDescribeSplitLayers() throws {
        let graph = try partition("kimi-k2", deployment: DeploymentOptions(contextTokens: 131_072))
        let holdings = graph.holdings()
        #expect(holdings[0]?.hasPrefix("embed_tokens, layers 0..1, layer 2 (experts 0..") == true)
        #expect(holdings[1]?.hasPrefix("layer 2 experts ") == true)
        #expect(holdings[31]?.hasSuffix("norm, lm_head") == true)
    }
}

@Suite struct PartitionLimitTests {
    @Test func aModelNeedingMillionsOfWafersIsRejectedAtOnce() throws {
        // Llama-3.1-8B with a 2^30-token context for 1,024 sequences: ~10^8 wafers of KV cache.
        var graph = try ModelLoader.load(path: TestPaths.example("llama-3.1-8b"))
        let context = PassContext(target: try BuiltinTargets.resolve("wse3"),
                                  deployment: DeploymentOptions(contextTokens: 1 << 30, batch: 1 << 10))
        do {
            _ = try PassManager(passes: try PassRegistry.pipeline(through: "partition")).run(&graph, context: context)
            Issue.record("expected an error")
        } catch {
            // 75 WSE-3 wafers hold the 2^26 PEs one deployment may use.
            #expect(error.diagnostics.first?.message.contains("needs more than 75 wse3 wafers") == true, "\(error)")
            #expect(error.diagnostics.first?.message.contains("67,108,864 PEs") == true)
        }
    }

    @Test func levelingEvensOutAFixedCount() throws {
        var graph = try ModelLoader.load(path: TestPaths.example("llama-3.1-70b"))
        let context = PassContext(target: try BuiltinTargets.resolve("wse3"), deployment: DeploymentOptions(wafers: .exactly(8)))
        _ = try PassManager(passes: try PassRegistry.pipeline(through: "partition")).run(&graph, context: context)
        let layersPerWafer = Dictionary(grouping: graph.ops.compactMap { op -> (Int, Int)? in
            guard let layer = op.layer, let wafer = op.placement?.wafer else { return nil }
            return (wafer, layer)
        }, by: \.0).mapValues { Set($0.map(\.1)).count }
        let counts = (0..<8).map { layersPerWafer[$0] ?? 0 }
        #expect(counts.reduce(0, +) == 80)
        #expect((counts.max() ?? 0) - (counts.min() ?? 0) <= 2, "layers per wafer: \(counts)")
    }
}
