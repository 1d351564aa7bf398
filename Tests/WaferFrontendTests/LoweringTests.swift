import Testing
import WaferFrontend
import WaferIR
import WaferSupport
import WaferTestSupport

@Suite struct LoweringTests {
    func load(_ text: String) throws(DiagnosticError) -> Graph {
        try ModelLoader.load(bytes: Array(text.utf8), file: "m.yaml")
    }

    let header = "version: 1\nname: m\nvocab_size: 100\nhidden_size: 64\n"

    @Test func preNormResidualWiring() throws {
        let graph = try ModelLoader.load(path: TestPaths.example("tiny"))
        func op(_ name: String) throws -> Op { try #require(graph.ops.first { $0.name == name }) }
        let embedding = try op("embed_tokens")
        let norm = try op("layers.0.input_layernorm")
        let attention = try op("layers.0.self_attn")
        let add0 = try op("layers.0.residual_0")
        let norm2 = try op("layers.0.post_attention_layernorm")
        let mlp = try op("layers.0.mlp")
        let add1 = try op("layers.0.residual_1")
        #expect(norm.inputs == [embedding.result])
        #expect(attention.inputs == [norm.result])
        #expect(add0.inputs == [embedding.result, attention.result])
        #expect(norm2.inputs == [add0.result])
        #expect(mlp.inputs == [norm2.result])
        #expect(add1.inputs == [add0.result, mlp.result])
        let next = try op("layers.1.input_layernorm")
        #expect(next.inputs == [add1.result])
    }

    @Test func tiedHeadOwnsNoWeight() throws {
        let graph = try ModelLoader.load(path: TestPaths.example("tiny"))
        let head = try #require(graph.ops.last)
        #expect(head.weights.isEmpty)
        #expect(head.tiedWeight == "embed_tokens.weight")
        #expect(graph.output == head.result)
    }

    @Test func nestedRepeatsCountLayers() throws {
        let graph = try load(header + """
        layers:
          - kind: embedding
          - repeat: 3
            layers:
              - repeat: 2
                layers:
                  - kind: mlp
                    intermediate_size: 8
              - repeat: 1
                layers:
                  - kind: mlp
                    intermediate_size: 16
          - kind: lm_head
        """)
        #expect(graph.layerCount == 9)
        let sizes = graph.ops.compactMap { op -> Int? in if case let .mlp(a) = op.kind { return a.intermediate } else { return nil } }
        #expect(sizes == [8, 8, 16, 8, 8, 16, 8, 8, 16])
    }

    @Test func userNamesArePrefixedByTheLayer() throws {
        let graph = try load(header + """
        layers:
          - kind: embedding
            name: wte
          - repeat: 2
            layers:
              - kind: mlp
                name: ffn
                intermediate_size: 8
          - kind: lm_head
            tied: true
        """)
        #expect(graph.ops.map(\.name) == ["wte", "layers.0.ffn", "layers.0.residual_0", "layers.1.ffn", "layers.1.residual_0", "lm_head"])
        #expect(graph.ops.last?.tiedWeight == "wte.weight")
    }

    @Test func headDimDefaultsToHiddenOverHeads() throws {
        let graph = try load(header + """
        layers:
          - kind: embedding
          - repeat: 1
            layers:
              - kind: attention
                heads: 8
          - kind: lm_head
        """)
        let attention = try #require(graph.ops.compactMap { op -> AttentionAttributes? in if case let .attention(a) = op.kind { return a } else { return nil } }.first)
        #expect(attention.headDim == 8)
        #expect(attention.kvHeads == 8)
    }

    @Test func severalLayerErrorsAreReportedTogether() {
        do {
            _ = try load(header + """
            layers:
              - kind: embedding
              - repeat: 1
                layers:
                  - kind: mlp
                    intermediate_size: 0
                  - kind: attention
                    heads: 0
              - kind: lm_head
            """)
            Issue.record("expected errors")
        } catch {
            #expect(error.diagnostics.map { $0.location?.line ?? 0 } == [10, 12])
        }
    }
}
