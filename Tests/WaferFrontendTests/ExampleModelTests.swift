import Testing
import WaferFrontend
import WaferIR
import WaferPasses
import WaferSupport
import WaferTestSupport

/// Exact parameter counts of every example, derived independently from each model's official
/// config.json (the derivation is in docs/model-format.md; DeepSeek-V3, Llama-3.1-8B/70B,
/// Qwen3-32B, Mixtral-8x7B and gpt-oss-20b are also listed in the project's reference notes).
struct ExpectedCounts: Sendable, CustomTestStringConvertible {
    var model: String
    var total: Int
    var active: Int
    /// Weight bytes as the checkpoint stores them (scales included); nil where not pinned.
    var bytes: Int?
    var testDescription: String { model }
}

let expectedCounts: [ExpectedCounts] = [
    .init(model: "llama-3.1-8b", total: 8_030_261_248, active: 8_030_261_248, bytes: 16_060_522_496),
    .init(model: "llama-3.1-70b", total: 70_553_706_496, active: 70_553_706_496, bytes: 141_107_412_992),
    .init(model: "llama-3.1-405b", total: 405_853_388_800, active: 405_853_388_800, bytes: 811_706_777_600),
    .init(model: "qwen3-32b", total: 32_762_123_264, active: 32_762_123_264, bytes: 65_524_246_528),
    .init(model: "qwen3-235b-a22b", total: 235_093_634_560, active: 22_190_763_520, bytes: 470_187_269_120),
    .init(model: "mixtral-8x7b", total: 46_702_792_704, active: 12_879_925_248, bytes: 93_405_585_408),
    .init(model: "deepseek-v3", total: 671_026_419_200, active: 37_552_297_472, bytes: 673_150_611_808),
    .init(model: "kimi-k2", total: 1_026_408_232_448, active: 32_861_500_928, bytes: 1_029_173_249_888),
    .init(model: "gpt-oss-120b", total: 116_829_156_672, active: 5_711_982_912, bytes: 65_248_815_744),
    .init(model: "gpt-oss-20b", total: 20_914_757_184, active: 4_187_440_704, bytes: 13_761_264_768),
    .init(model: "mistral-7b", total: 7_241_732_096, active: 7_241_732_096, bytes: 14_483_464_192),
    .init(model: "qwen2.5-72b", total: 72_706_203_648, active: 72_706_203_648, bytes: 145_412_407_296),
    .init(model: "glm-4.5", total: 352_797_805_472, active: 33_632_242_592, bytes: 705_595_610_944),
    // Routed experts int4 (group 32, bf16 scales): 570,760,888,320 B; the rest bf16, router bias fp32.
    .init(model: "kimi-k2.5", total: 1_026_408_232_448, active: 32_861_500_928, bytes: 594_205_351_936),
]

/// Runs the front end and the front-half passes, as `wafermap stats` does.
func compileFrontHalf(_ path: String) throws -> Graph {
    var graph = try ModelLoader.load(path: path)
    _ = try PassManager(passes: PassRegistry.frontHalf).run(&graph)
    return graph
}

@Suite struct ExampleModelTests {
    @Test(arguments: expectedCounts)
    func exactCounts(_ expected: ExpectedCounts) throws {
        let stats = try compileFrontHalf(TestPaths.example(expected.model)).statistics()
        #expect(stats.totalParameters == expected.total)
        #expect(stats.activeParameters == expected.active)
        if let bytes = expected.bytes { #expect(stats.weightBytes == bytes) }
    }

    @Test func gptOss20bActiveMatchesTheVendorConvention() throws {
        // OpenAI quotes 3.61B active parameters, excluding the input embedding.
        let stats = try compileFrontHalf(TestPaths.example("gpt-oss-20b")).statistics()
        #expect(stats.activeParametersExcludingEmbedding == 3_608_307_264)
        #expect(stats.inputEmbeddingParameters == 201_088 * 2880)
    }

    @Test func deepSeekLayerStructure() throws {
        let graph = try compileFrontHalf(TestPaths.example("deepseek-v3"))
        #expect(graph.layerCount == 61)
        let moeLayers = graph.ops.filter { if case .moe = $0.kind { return true } else { return false } }.compactMap(\.layer)
        #expect(moeLayers == Array(3...60))
        // The MLA attention of one layer is 187,107,328 parameters (reference derivation).
        let attention = try #require(graph.ops.first { $0.name == "layers.0.self_attn" })
        #expect(attention.weights.reduce(0) { $0 + $1.parameterCount } == 187_107_328)
    }

    @Test func gptOssAlternatesSlidingAndFullAttention() throws {
        let graph = try compileFrontHalf(TestPaths.example("gpt-oss-120b"))
        let windows = graph.ops.compactMap { op -> Int?? in
            if case let .attention(a) = op.kind { return .some(a.slidingWindow) } else { return nil }
        }
        #expect(windows.count == 36)
        for (index, window) in windows.enumerated() {
            #expect(window == (index % 2 == 0 ? 128 : nil))
        }
    }

    @Test func everyExampleRoundTripsThroughTheVerifier() throws {
        for model in expectedCounts.map(\.model) + ["tiny"] {
            let graph = try compileFrontHalf(TestPaths.example(model))
            try Verifier.verify(graph, after: "test")
        }
    }
}
