import Testing
import WaferIR
import WaferSupport

/// A hand-built two-layer graph (no front end) and the ways a pass could break it.
func smallGraph(policy: PrecisionPolicy = PrecisionPolicy(matrixDefault: .bf16)) -> Graph {
    let hidden = 16, vocab = 32
    var values = [Value(id: ValueID(0), type: .tokens)]
    func value(_ width: Int) -> ValueID {
        let id = ValueID(values.count)
        values.append(Value(id: id, type: .vector(width: width, element: .bf16)))
        return id
    }
    func tensors(_ kind: OpKind) -> [Tensor] {
        (kind.weightSpecs(hidden: hidden) ?? []).compactMap {
            Tensor(name: $0.name, shape: $0.shape, role: $0.role, format: .bf16, expertStacked: $0.expertStacked)
        }
    }
    var ops: [Op] = []
    let embeddingKind = OpKind.embedding(EmbeddingAttributes(vocab: vocab, hidden: hidden))
    let h0 = value(hidden)
    ops.append(Op(name: "embed_tokens", kind: embeddingKind, layer: nil, inputs: [ValueID(0)], result: h0, weights: tensors(embeddingKind)))
    var stream = h0
    for layer in 0..<2 {
        let moe = OpKind.moe(MoEAttributes(experts: 4, topK: 2, expertIntermediate: 8, sharedExperts: 1, routerBias: true))
        let update = value(hidden)
        ops.append(Op(name: "layers.\(layer).mlp", kind: moe, layer: layer, inputs: [stream], result: update, weights: tensors(moe)))
        let sum = value(hidden)
        ops.append(Op(name: "layers.\(layer).residual_0", kind: .residualAdd, layer: layer, inputs: [stream, update], result: sum, weights: []))
        stream = sum
    }
    let headKind = OpKind.lmHead(LMHeadAttributes(vocab: vocab, hidden: hidden, tied: false))
    let logits = value(vocab)
    ops.append(Op(name: "lm_head", kind: headKind, layer: nil, inputs: [stream], result: logits, weights: tensors(headKind)))
    return Graph(name: "small", sourceFile: "none", hidden: hidden, vocab: vocab, activation: .bf16, precision: policy,
                 values: values, ops: ops, input: ValueID(0), output: logits, layerCount: 2)
}

@Suite struct VerifierTests {
    func failures(_ graph: Graph) -> [String] {
        do {
            try Verifier.verify(graph, after: "test")
            return []
        } catch {
            return error.diagnostics.map(\.message)
        }
    }

    @Test func acceptsAWellFormedGraph() {
        #expect(failures(smallGraph()) == [])
    }

    @Test func rejectsUseBeforeDefinition() {
        var graph = smallGraph()
        graph.ops.swapAt(1, 2)
        #expect(failures(graph).contains { $0.contains("before it is defined") })
    }

    @Test func rejectsAWrongWeightShape() throws {
        var graph = smallGraph()
        let wrong = try #require(Tensor(name: "gate.weight", shape: [5, 16], role: .router, format: .bf16))
        graph.ops[1].weights[0] = wrong
        #expect(failures(graph).contains { $0.contains("should be 'gate.weight' [4x16]") })
    }

    @Test func rejectsAMissingWeight() {
        var graph = smallGraph()
        graph.ops[1].weights.removeLast()
        #expect(failures(graph).contains { $0.contains("its kind requires") })
    }

    @Test func rejectsTopKAboveExperts() {
        var graph = smallGraph()
        graph.ops[1].kind = .moe(MoEAttributes(experts: 4, topK: 5, expertIntermediate: 8, sharedExperts: 1, routerBias: true))
        #expect(failures(graph).contains { $0.contains("top_k (5)") })
    }

    @Test func rejectsFormatsThatDisagreeWithThePolicyAfterAssignment() {
        var graph = smallGraph(policy: PrecisionPolicy(matrixDefault: NumberFormat(.fp8_e4m3)))
        #expect(failures(graph) == [])
        graph.appliedPasses = ["assign-precision"]
        #expect(failures(graph).contains { $0.contains("the precision policy gives fp8_e4m3") })
    }

    @Test func rejectsQuantizedVectors() throws {
        var graph = smallGraph()
        let bias = try #require(Tensor(name: "gate.bias", shape: [4], role: .bias, format: NumberFormat(.int8, scaling: .channel(scale: .bf16))))
        graph.ops[1].weights[1] = bias
        #expect(failures(graph).contains { $0.contains("vectors are never quantized") })
    }

    @Test func rejectsBadValueTypes() {
        var graph = smallGraph()
        graph.values[1] = Value(id: ValueID(1), type: .vector(width: 7, element: .bf16))
        #expect(failures(graph).contains { $0.contains("embedding must produce bf16[16]") })
    }

    @Test func rejectsADanglingTie() {
        var graph = smallGraph()
        let last = graph.ops.count - 1
        graph.ops[last].kind = .lmHead(LMHeadAttributes(vocab: 32, hidden: 16, tied: true))
        graph.ops[last].weights = []
        graph.ops[last].tiedWeight = "nothing.weight"
        #expect(failures(graph).contains { $0.contains("names no existing weight") })
    }
}

@Suite struct StatisticsTests {
    @Test func countsByHand() throws {
        let stats = try smallGraph().statistics()
        // embedding 32x16 + lm_head 32x16 = 1024; per layer: router 4x16 + bias 4,
        // 4 experts x 3 x (8x16), shared 3 x (8x16).
        let perLayer = 64 + 4 + 4 * 3 * 128 + 3 * 128
        #expect(stats.totalParameters == 1024 + 2 * perLayer)
        let activePerLayer = 64 + 4 + 2 * 3 * 128 + 3 * 128
        #expect(stats.activeParameters == 1024 + 2 * activePerLayer)
        #expect(stats.activeParametersExcludingEmbedding == 512 + 2 * activePerLayer)
        #expect(stats.weightBytes == 2 * stats.totalParameters)
        #expect(stats.byRole.map(\.name) == ["embedding", "lm_head", "experts", "shared_experts", "router", "bias"])
        #expect(stats.byKind.map(\.name) == ["embedding", "moe", "lm_head"])
        #expect(stats.largest?.name == "embed_tokens.weight")
        #expect(stats.largest?.parameters == 512)
    }

    @Test func expertSlicesCountAsOneTensorForLargest() throws {
        var graph = smallGraph()
        graph.ops[0].weights = []
        graph.ops[0].kind = .residualAdd
        graph.ops.removeLast()
        let stats = try graph.statistics()
        #expect(stats.largest?.name.contains("(one of 4 experts)") == true)
        #expect(stats.largest?.parameters == 128)
    }
}
