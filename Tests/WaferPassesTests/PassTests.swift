import Testing
import WaferFrontend
import WaferIR
import WaferPasses
import WaferSupport
import WaferTestSupport

@Suite struct PassRegistryTests {
    @Test func registryNamesAreUniqueAndDocumented() {
        let names = PassRegistry.all.map(\.name)
        #expect(Set(names).count == names.count)
        #expect(names.contains("assign-precision"))
        for pass in PassRegistry.all {
            #expect(!pass.summary.isEmpty)
            #expect(pass.name.allSatisfy { $0.isLowercase || $0 == "-" })
        }
    }

    @Test func unknownPassNamesSuggestTheNearest() {
        do {
            try PassRegistry.validate("assign-precison", flag: "--print-ir-after")
            Issue.record("expected an error")
        } catch {
            #expect(error.diagnostics.first?.message == "--print-ir-after: unknown pass 'assign-precison'")
            #expect(error.diagnostics.first?.notes.first?.message == "did you mean 'assign-precision'?")
        }
    }
}

@Suite struct AssignPrecisionTests {
    func run(_ text: String) throws -> Graph {
        var graph = try ModelLoader.load(bytes: Array(text.utf8), file: "m.yaml")
        _ = try PassManager(passes: [AssignPrecision()]).run(&graph)
        return graph
    }

    func format(_ graph: Graph, _ fullName: String) -> String? {
        graph.tensor(named: fullName)?.tensor.format.description
    }

    let model = """
    version: 1
    name: m
    vocab_size: 64
    hidden_size: 128
    precision: {type: fp8_e4m3, block: [128, 128], scale: fp32}
    precision_overrides:
      experts: int4
      embedding: bf16
    layers:
      - kind: embedding
      - repeat: 2
        layers:
          - kind: rmsnorm
          - kind: attention
            heads: 4
            qkv_bias: true
          - kind: rmsnorm
          - kind: moe
            experts: 4
            top_k: 2
            expert_intermediate_size: 128
            shared_experts: 1
            expert_bias: true
      - repeat: 1
        layers:
          - kind: attention
            heads: 4
            precision: bf16
      - kind: rmsnorm
      - kind: lm_head
    """

    @Test func resolutionOrder() throws {
        let graph = try run(model)
        #expect(format(graph, "embed_tokens.weight") == "bf16")
        #expect(format(graph, "layers.0.self_attn.q_proj.weight") == "fp8_e4m3[block=128x128,scale=fp32]")
        #expect(format(graph, "layers.0.self_attn.q_proj.bias") == "bf16")
        #expect(format(graph, "layers.0.input_layernorm.weight") == "bf16")
        #expect(format(graph, "layers.0.mlp.experts.up_proj.weight") == "int4[group=32,scale=bf16]")
        #expect(format(graph, "layers.0.mlp.experts.up_proj.bias") == "bf16")
        #expect(format(graph, "layers.0.mlp.shared_experts.up_proj.weight") == "fp8_e4m3[block=128x128,scale=fp32]")
        #expect(format(graph, "layers.0.mlp.gate.weight") == "fp8_e4m3[block=128x128,scale=fp32]")
        // The op's own precision beats the model default.
        #expect(format(graph, "layers.2.self_attn.q_proj.weight") == "bf16")
        #expect(format(graph, "lm_head.weight") == "fp8_e4m3[block=128x128,scale=fp32]")
    }

    @Test func bytesFollowTheFormats() throws {
        let graph = try run(model)
        let experts = try #require(graph.tensor(named: "layers.0.mlp.experts.up_proj.weight")?.tensor)
        // 4 experts of 128x128 int4: 16 words of 4 bytes per row; 4 bf16 scales per row.
        #expect(experts.storage == StorageSize(valueBytes: 4 * 128 * 64, scaleBytes: 4 * 128 * 4 * 2))
    }

    @Test func isIdempotent() throws {
        var graph = try run(model)
        let once = graph
        _ = try PassManager(passes: [AssignPrecision()]).run(&graph)
        #expect(graph.ops == once.ops)
    }
}

/// A deliberately broken pass, to show verify-after-each catches it.
struct CorruptingPass: Pass {
    let name = "corrupt"
    let summary = "drops a weight"
    func run(_ graph: inout Graph, context: PassContext) throws(DiagnosticError) {
        if let index = graph.ops.firstIndex(where: { !$0.weights.isEmpty }) {
            graph.ops[index].weights.removeLast()
        }
    }
}

@Suite struct PassManagerTests {
    @Test func dumpsBeforeAndAfterWithBanners() throws {
        var graph = try ModelLoader.load(path: TestPaths.example("tiny"))
        var instrumentation = PassInstrumentation()
        instrumentation.printBefore = ["assign-precision"]
        instrumentation.printAfterAll = true
        var dumps: [IRDump] = []
        let timings = try PassManager(passes: PassRegistry.frontHalf, instrumentation: instrumentation).run(&graph) { dumps.append($0) }
        #expect(dumps.map { "\($0.when.rawValue) \($0.pass)" } == ["Before assign-precision", "After assign-precision"])
        #expect(dumps[0].rendered.hasPrefix("// -----// IR Dump Before assign-precision //----- //\nmodel \"tiny\""))
        #expect(dumps[0].text.contains("passes = []"))
        #expect(dumps[1].text.contains("passes = [assign-precision]"))
        #expect(timings.map(\.name) == ["assign-precision", "(verifier)"])
    }

    @Test func verifyEachCatchesABrokenPass() throws {
        var graph = try ModelLoader.load(path: TestPaths.example("tiny"))
        #expect {
            _ = try PassManager(passes: [CorruptingPass()]).run(&graph)
        } throws: { error in
            guard let error = error as? DiagnosticError else { return false }
            return error.diagnostics.contains { $0.message.hasPrefix("IR verification failed after pass 'corrupt'") }
        }
    }
}
