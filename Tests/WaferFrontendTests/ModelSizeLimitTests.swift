import Foundation
import Testing
import WaferFrontend
import WaferSupport

/// Found by the second attack: a 50 KB model of 10,000 repeats of 1,000 ops passed the layer
/// limit (10,000 decoder layers) and grew past 9 GB expanding them. The op count is bounded
/// before anything is expanded, at the layers' location.
@Suite struct ModelSizeLimitTests {
    @Test func tooManyOpsAreRefusedBeforeExpansion() throws {
        var text = "version: 1\nname: wide\nvocab_size: 512\nhidden_size: 64\nprecision: bf16\nlayers:\n  - kind: embedding\n  - repeat: 10000\n    layers:\n"
        for i in 0..<1000 { text += "      - {kind: mlp, name: m\(i), intermediate_size: 128}\n" }
        text += "  - kind: rmsnorm\n  - kind: lm_head\n"
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("wide-\(UUID().uuidString).yaml").path
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(atPath: path) }
        do throws(DiagnosticError) {
            _ = try ModelLoader.load(path: path)
            Issue.record("10 million ops were expanded")
        } catch {
            let d = try #require(error.diagnostics.first)
            #expect(d.message.contains("more than 100,000 ops"), "\(d.message)")
            #expect(d.location?.line == 7)   // the first item of `layers:`, where the layer-count error points too
        }
    }
}
