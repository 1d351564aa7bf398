import Foundation
import Testing
import WaferFrontend
import WaferIR
import WaferPasses
import WaferSupport
import WaferTestSupport

/// One Hugging Face configuration in Tests/Fixtures/hf and the hand-written example it must
/// reproduce exactly (parameters, active parameters, bytes, unmapped modules).
struct ConfigPair: Sendable, CustomTestStringConvertible {
    var fixture: String
    var example: String
    var testDescription: String { fixture }
}

let configPairs: [ConfigPair] = [
    "llama-3.1-8b", "llama-3.1-70b", "llama-3.1-405b", "mistral-7b", "mixtral-8x7b", "qwen2.5-72b", "qwen3-32b",
    "qwen3-235b-a22b", "deepseek-v3", "kimi-k2", "kimi-k2.5", "gpt-oss-120b", "gpt-oss-20b", "glm-4.5",
].map { ConfigPair(fixture: $0, example: $0) }

/// Imports JSON text and runs the front half, as `wafermap stats config.json` does.
func importJSON(_ json: String, options: HFImporter.Options = HFImporter.Options()) throws -> Graph {
    let imported = try HFImporter.importConfig(bytes: Array(json.utf8), file: "config.json", options: options)
    var graph = try ModelLoader.build(imported.spec)
    _ = try PassManager(passes: PassRegistry.frontHalf).run(&graph)
    return graph
}

/// The error text of importing `json`, or nil when it imports.
func importError(_ json: String) -> String? {
    do {
        _ = try importJSON(json)
        return nil
    } catch let error as DiagnosticError {
        return error.description
    } catch {
        return "\(error)"
    }
}

/// A small DeepSeek-style text config; `extra` fields are spliced in (JSON text, trailing comma).
func deepseekJSON(_ extra: String = "", modelType: String = "deepseek_v3") -> String {
    """
    {"model_type": "\(modelType)", \(extra)
     "vocab_size": 1000, "hidden_size": 256, "num_hidden_layers": 6, "num_attention_heads": 4,
     "q_lora_rank": 64, "kv_lora_rank": 32, "qk_nope_head_dim": 16, "qk_rope_head_dim": 8, "v_head_dim": 16,
     "intermediate_size": 512, "n_routed_experts": 8, "num_experts_per_tok": 2, "moe_intermediate_size": 128,
     "n_shared_experts": 1, "torch_dtype": "bfloat16", "tie_word_embeddings": false}
    """
}

@Suite struct HFImportTests {
    @Test(arguments: configPairs)
    func importMatchesTheHandWrittenExample(_ pair: ConfigPair) throws {
        var imported = try ModelLoader.load(path: TestPaths.fixture("hf/\(pair.fixture)/config.json"))
        _ = try PassManager(passes: PassRegistry.frontHalf).run(&imported)
        let written = try compileFrontHalf(TestPaths.example(pair.example))
        let a = try imported.statistics(), b = try written.statistics()
        #expect(a.totalParameters == b.totalParameters)
        #expect(a.activeParameters == b.activeParameters)
        #expect(a.activeParametersExcludingEmbedding == b.activeParametersExcludingEmbedding)
        #expect(a.weightBytes == b.weightBytes)
        #expect(a.layers == b.layers)
        #expect(imported.unmappedModules.map(\.name) == written.unmappedModules.map(\.name))
        #expect(imported.unmappedModules.map(\.parameters) == written.unmappedModules.map(\.parameters))
        #expect(imported.unmappedModules.map(\.bytes) == written.unmappedModules.map(\.bytes))
        // Layer by layer, the same ops with the same attributes.
        #expect(imported.ops.map(\.kind) == written.ops.map(\.kind))
        #expect(imported.ops.map(\.name) == written.ops.map(\.name))
    }

    @Test(arguments: configPairs)
    func writtenYAMLReadsBackToTheSameModel(_ pair: ConfigPair) throws {
        let imported = try HFImporter.load(path: TestPaths.fixture("hf/\(pair.fixture)/config.json"))
        let yaml = ModelYAMLWriter.render(imported)
        var reread = try ModelLoader.load(bytes: Array(yaml.utf8), file: "imported.yaml")
        var direct = try ModelLoader.build(imported.spec)
        _ = try PassManager(passes: PassRegistry.frontHalf).run(&reread)
        _ = try PassManager(passes: PassRegistry.frontHalf).run(&direct)
        #expect(reread.ops.map(\.kind) == direct.ops.map(\.kind))
        #expect(reread.ops.map(\.name) == direct.ops.map(\.name))
        #expect(reread.ops.map(\.weights) == direct.ops.map(\.weights))
        #expect(reread.precision == direct.precision)
        #expect(reread.unmappedModules == direct.unmappedModules)
        #expect(reread.name == pair.fixture)
        #expect(yaml.contains("# num_attention_heads"))
    }

    @Test func mtpIsCountedApartWithTheCheckpointTotal() throws {
        let graph = try ModelLoader.load(path: TestPaths.fixture("hf/deepseek-v3/config.json"))
        let mtp = try #require(graph.unmappedModules.first { $0.name == "mtp" })
        // DeepSeek-V3's published checkpoint: 684,489,845,504 = 671,026,419,200 + MTP.
        #expect(mtp.parameters == 684_489_845_504 - 671_026_419_200)
        #expect(try graph.statistics().totalParameters == 671_026_419_200)
    }

    @Test func mtpOfASmallModelFollowsTheFormula() throws {
        let graph = try importJSON(deepseekJSON("\"first_k_dense_replace\": 1, \"num_nextn_predict_layers\": 2,"))
        let mtp = try #require(graph.unmappedModules.first)
        let h = 256, v = 1000
        let mla = h * 64 + 64 + 64 * 4 * 24 + h * 40 + 32 + 32 * 4 * 32 + h * 4 * 16
        let moe = 8 * 3 * h * 128 + 3 * h * 128 + 8 * h + 8
        let layer = mla + 2 * h + moe
        #expect(mtp.parameters == 2 * (layer + 3 * h + 2 * h * h + 2 * v * h))
        #expect(mtp.bytes == 2 * mtp.parameters + 2 * 2 * 8)   // bf16, router bias fp32
    }

    @Test func denseAndMoELayersFollowTheirFamilyRules() throws {
        let deepseek = try importJSON(deepseekJSON("\"first_k_dense_replace\": 2, \"moe_layer_freq\": 2,"))
        let moeLayers = deepseek.ops.filter { if case .moe = $0.kind { return true } else { return false } }.compactMap(\.layer)
        #expect(moeLayers == [2, 4])
        let qwen = """
        {"model_type": "qwen3_moe", "vocab_size": 1000, "hidden_size": 256, "num_hidden_layers": 8,
         "num_attention_heads": 4, "num_key_value_heads": 2, "head_dim": 32, "intermediate_size": 512,
         "num_experts": 8, "num_experts_per_tok": 2, "moe_intermediate_size": 64, "decoder_sparse_step": 2,
         "mlp_only_layers": [3], "torch_dtype": "bfloat16"}
        """
        let graph = try importJSON(qwen)
        let qwenMoE = graph.ops.filter { if case .moe = $0.kind { return true } else { return false } }.compactMap(\.layer)
        #expect(qwenMoE == [1, 5, 7])
        // head_dim 32 x 4 heads = 128, not hidden 256: the field wins.
        let attention = graph.ops.compactMap { op -> AttentionAttributes? in if case let .attention(a) = op.kind { return a } else { return nil } }
        #expect(attention.allSatisfy { $0.headDim == 32 && $0.qkNorm })
    }

    @Test func qLoraNullGivesAFullQueryProjection() throws {
        let json = deepseekJSON().replacingOccurrences(of: "\"q_lora_rank\": 64", with: "\"q_lora_rank\": null")
        let graph = try importJSON(json)
        let mla = try #require(graph.ops.first { if case .mla = $0.kind { return true } else { return false } })
        #expect(mla.weights.contains { $0.name == "q_proj.weight" && $0.shape == [4 * 24, 256] })
        #expect(!mla.weights.contains { $0.name.hasPrefix("q_a_proj") })
    }

    @Test func slidingWindowsFollowLayerTypesAndQwenRules() throws {
        let qwen = """
        {"model_type": "qwen2", "vocab_size": 100, "hidden_size": 64, "num_hidden_layers": 4, "num_attention_heads": 4,
         "intermediate_size": 128, "use_sliding_window": true, "sliding_window": 512, "max_window_layers": 2,
         "torch_dtype": "bfloat16"}
        """
        let windows = try importJSON(qwen).ops.compactMap { op -> Int?? in if case let .attention(a) = op.kind { return a.slidingWindow } else { return nil } }
        #expect(windows == [nil, nil, 512, 512])
        let typed = """
        {"model_type": "mistral", "vocab_size": 100, "hidden_size": 64, "num_hidden_layers": 3, "num_attention_heads": 4,
         "intermediate_size": 128, "sliding_window": 64, "torch_dtype": "bfloat16",
         "layer_types": ["full_attention", "sliding_attention", "full_attention"]}
        """
        let typedWindows = try importJSON(typed).ops.compactMap { op -> Int?? in if case let .attention(a) = op.kind { return a.slidingWindow } else { return nil } }
        #expect(typedWindows == [nil, 64, nil])
    }

    @Test func headDimIsDerivedOnlyWhereTheFamilyDerivesIt() throws {
        let llama = """
        {"model_type": "llama", "vocab_size": 100, "hidden_size": 64, "num_hidden_layers": 1, "num_attention_heads": 4,
         "intermediate_size": 128, "torch_dtype": "float16", "mlp_bias": true, "attention_bias": true}
        """
        let graph = try importJSON(llama)
        let attention = try #require(graph.ops.compactMap { op -> AttentionAttributes? in if case let .attention(a) = op.kind { return a } else { return nil } }.first)
        #expect(attention.headDim == 16 && attention.kvHeads == 4 && attention.qkvBias && attention.oBias)
        #expect(graph.ops.contains { $0.weights.contains { $0.name == "down_proj.bias" } })
        #expect(graph.activation == .fp16)
        let qwen3 = llama.replacingOccurrences(of: "\"llama\"", with: "\"qwen3\"")
        let message = try #require(importError(qwen3))
        #expect(message.contains("config.json:1:1: error: missing field 'head_dim'"))
    }

    @Test func compressedTensorsIgnoreListDecidesEachModule() throws {
        func config(_ ignore: String) -> String {
            deepseekJSON("""
            "first_k_dense_replace": 1, "quantization_config": {"quant_method": "compressed-tensors", "format": "pack-quantized",
              "config_groups": {"group_0": {"targets": ["Linear"], "weights": {"num_bits": 4, "type": "int", "strategy": "group",
              "group_size": 32, "symmetric": true}}}, "ignore": [\(ignore)]},
            """)
        }
        let ignoreAll = #""lm_head", "re:.*self_attn.*", "re:.*shared_experts.*", "re:.*mlp\\.(gate|up|gate_up|down)_proj.*""#
        let graph = try importJSON(config(ignoreAll))
        let int4 = NumberFormat(.int4, scaling: .group(size: 32, scale: .bf16))
        for op in graph.ops {
            for tensor in op.weights where !tensor.role.isVector {
                #expect((tensor.format == int4) == (tensor.role == .experts), "\(op.fullName(tensor)) is \(tensor.format)")
            }
        }
        // Without the shared-experts entry they are quantized too, and lm_head without its entry.
        let partial = try importJSON(config(#""re:.*self_attn.*", "re:.*mlp\\.(gate|up|gate_up|down)_proj.*""#))
        let formats = Dictionary(partial.ops.flatMap { $0.weights }.map { ($0.role, $0.format) }, uniquingKeysWith: { a, _ in a })
        #expect(formats[.shared_experts] == int4 && formats[.lm_head] == int4 && formats[.attention] == .bf16)
        #expect(formats[.router] == .bf16)   // DeepSeek's router is no nn.Linear
        // An entry that picks one layer's experts cannot be one format per role: a clear error.
        let message = try #require(importError(config(ignoreAll + #", "re:.*layers\\.3\\.mlp\\.experts.*""#)))
        #expect(message.contains("WaferMap's model format gives every experts weight one format"))
        let oneExpert = try #require(importError(config(ignoreAll + #", "re:.*experts\\.5\\..*""#)))
        #expect(oneExpert.contains("expert 0 and expert 5"))
    }

    @Test func unsupportedQuantizationIsAnErrorAtItsField() throws {
        let perTensor = deepseekJSON("\"quantization_config\": {\"quant_method\": \"fp8\", \"fmt\": \"e4m3\"},")
        #expect(importError(perTensor)?.contains("fp8 without 'weight_block_size'") == true)
        let awq = deepseekJSON("\"quantization_config\": {\"quant_method\": \"awq\"},")
        #expect(importError(awq)?.contains("config.json:1:71: error: unsupported quant_method 'awq'") == true)
        let asymmetric = deepseekJSON("""
        "quantization_config": {"quant_method": "compressed-tensors", "config_groups": {"g": {"weights":
          {"num_bits": 4, "type": "int", "strategy": "group", "group_size": 128, "symmetric": false}}}},
        """)
        #expect(importError(asymmetric)?.contains("asymmetric quantization") == true)
    }

    @Test func mxfp4LeavesTheNotConvertedModulesAlone() throws {
        let graph = try ModelLoader.load(path: TestPaths.fixture("hf/gpt-oss-20b/config.json"))
        #expect(graph.precision.matrixDefault == .bf16)
        #expect(graph.precision.roleOverrides == [.experts: .mxfp4])
    }

    @Test func visionTowerCanBeLeftOut() throws {
        let path = TestPaths.fixture("hf/kimi-k2.5/config.json")
        let with = try HFImporter.load(path: path)
        let without = try HFImporter.load(path: path, options: HFImporter.Options(textOnly: true))
        #expect(with.spec.unmappedModules.map(\.name) == ["vision_tower"])
        #expect(without.spec.unmappedModules.isEmpty)
        #expect(try ModelLoader.build(without.spec).statistics().totalParameters == 1_026_408_232_448)
    }

    @Test func errorsNameTheFieldAndTheFile() throws {
        #expect(importError(#"{"model_type": "llamma"}"#)?.contains("unsupported architecture: model_type 'llamma'") == true)
        #expect(importError(#"{"model_type": "llamma"}"#)?.contains("did you mean 'llama'?") == true)
        #expect(importError(#"{"vocab_size": 3}"#)?.contains("missing field 'model_type'") == true)
        let badType = #"{"model_type": "llama", "vocab_size": "32000"}"#
        #expect(importError(badType)?.contains("config.json:1:39: error: expected an integer for 'vocab_size', found the quoted string '32000'") == true)
        #expect(importError("[1, 2]")?.contains("expected a JSON object") == true)
        #expect(importError("{\"model_type\": \"llama\",\n  \"vocab_size\": }")?.contains("config.json:2:17: error: expected a JSON value") == true)
        #expect(importError("{\"model_type\": llama}")?.contains("config.json:1:16: error: 'llama' is not JSON") == true)
        let noText = #"{"model_type": "kimi_k25", "vision_config": {}}"#
        #expect(importError(noText)?.contains("missing field 'text_config'") == true)
        let disagree = deepseekJSON("\"experts_per_token\": 3,")
        #expect(importError(disagree)?.contains("num_experts_per_tok (2) and experts_per_token (3) disagree") == true)
        let mlaBias = deepseekJSON("\"attention_bias\": true,")
        #expect(importError(mlaBias)?.contains("latent attention with biases") == true)
        let missingInner = deepseekJSON().replacingOccurrences(of: "\"kv_lora_rank\": 32,", with: "")
        #expect(importError(missingInner)?.contains("missing field 'kv_lora_rank' (multi-head latent attention needs it)") == true)
    }
}
