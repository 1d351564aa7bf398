import Testing
import WaferFrontend
import WaferIR
import WaferPasses
import WaferTestSupport

/// The textual IR is for people and diffs: pin it. Re-record after a deliberate change with
/// `WAFERMAP_RECORD=1 swift test --filter GoldenIRTests`.
@Suite struct GoldenIRTests {
    @Test(arguments: ["tiny", "kimi-k2", "gpt-oss-120b", "qwen3-32b"])
    func summarisedIR(_ model: String) throws {
        let graph = try compileFrontHalf(TestPaths.example(model))
        let text = IRPrinter().print(graph)
        if let difference = TestPaths.compareGolden(text, name: "\(model).ir") {
            Issue.record(Comment(rawValue: difference))
        }
    }

    @Test func summaryIsCompactAndExpansionIsComplete() throws {
        let graph = try compileFrontHalf(TestPaths.example("kimi-k2"))
        let summary = IRPrinter().print(graph)
        let expanded = IRPrinter(expandLayers: true).print(graph)
        #expect(summary.contains("layers 1..60 {  // 60 identical layers, showing layer 1"))
        #expect(summary.split(separator: "\n").count < 90)
        for layer in 0..<61 { #expect(expanded.contains("\"layers.\(layer).self_attn\"")) }
        #expect(!expanded.contains("identical layers"))
    }

    @Test func indexSets() {
        #expect(IRPrinter.indexSet([3, 4, 5]) == "3..5")
        #expect(IRPrinter.indexSet([0, 2, 4, 6]) == "0..6 step 2")
        #expect(IRPrinter.indexSet([0, 1, 2, 5, 7, 8]) == "0..2, 5, 7..8")
        #expect(IRPrinter.indexSet([4]) == "4")
    }
}
