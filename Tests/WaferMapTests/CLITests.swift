import Foundation
import Testing
import WaferTestSupport

/// End-to-end: the built `wafermap` executable, as a user runs it.
@Suite struct CLITests {
    @Test func statsJSONHasTheDocumentedKeys() throws {
        let out = try CLI.run(["stats", "examples/models/kimi-k2.yaml", "--format", "json"])
        #expect(out.status == 0)
        let json = try #require(try JSONSerialization.jsonObject(with: Data(out.stdout.utf8)) as? [String: Any])
        #expect(json["total_params"] as? Int == 1_026_408_232_448)
        #expect(json["active_params"] as? Int == 32_861_500_928)
        #expect(json["weight_bytes"] as? Int == 1_029_173_249_888)
        #expect(json["active_params_excl_embedding"] as? Int == 32_861_500_928 - 163_840 * 7168)
        let formats = try #require(json["bytes_by_precision"] as? [[String: Any]])
        #expect(formats.compactMap { $0["format"] as? String }.contains("fp8_e4m3[block=128x128,scale=fp32]"))
        #expect(out.stderr.isEmpty)
    }

    @Test func statsTableNamesUnits() throws {
        let out = try CLI.run(["stats", "examples/models/llama-3.1-8b.yaml"])
        #expect(out.status == 0)
        #expect(out.stdout.contains("parameters  8,030,261,248 (8.03B)"))
        #expect(out.stdout.contains("16,060,522,496 bytes = 16.06 GB = 14.96 GiB"))
    }

    @Test func irPrintsAndDumpsGoToStderr() throws {
        let out = try CLI.run(["ir", "examples/models/tiny.yaml", "--print-ir-after=assign-precision", "--print-ir-before", "assign-precision", "--timing"])
        #expect(out.status == 0)
        #expect(out.stdout.hasPrefix("model \"tiny\" {"))
        #expect(out.stderr.contains("// -----// IR Dump Before assign-precision //----- //"))
        #expect(out.stderr.contains("// -----// IR Dump After assign-precision //----- //"))
        #expect(out.stderr.contains("Pass execution timing report"))
        #expect(out.stderr.contains("front end (parse, lower, verify)"))
    }

    @Test func printIRAfterAllAndExpand() throws {
        let out = try CLI.run(["ir", "examples/models/deepseek-v3.yaml", "--print-ir-after-all", "--expand-layers"])
        #expect(out.status == 0)
        #expect(out.stderr.contains("IR Dump After assign-precision"))
        #expect(out.stdout.contains("layer 60 {"))
    }

    @Test func badInputIsLocatedAndExitsOne() throws {
        let out = try CLI.run(["stats", "Tests/Fixtures/bad/topk-too-large.yaml"])
        #expect(out.status == 1)
        #expect(out.stdout.isEmpty)
        #expect(out.stderr == """
        Tests/Fixtures/bad/topk-too-large.yaml:11:16: error: top_k (5) is larger than the number of experts (4)
        Tests/Fixtures/bad/topk-too-large.yaml:10:18: note: experts declared here

        """)
    }

    @Test func missingFileAndUnknownPass() throws {
        let missing = try CLI.run(["ir", "no/such/model.yaml"])
        #expect(missing.status == 1)
        #expect(missing.stderr.hasPrefix("no/such/model.yaml:1:1: error: no such file"))
        let unknown = try CLI.run(["ir", "examples/models/tiny.yaml", "--print-ir-after=asign-precision"])
        #expect(unknown.status == 64)  // a usage error, like an unknown flag
        #expect(unknown.stderr.contains("unknown pass 'asign-precision'"))
        #expect(unknown.stderr.contains("did you mean 'assign-precision'?"))
    }

    @Test func usageErrorsExitNonZero() throws {
        let out = try CLI.run(["stats"])
        #expect(out.status != 0)
        #expect(out.stderr.contains("Missing expected argument"))
    }

    @Test func outputIsDeterministic() throws {
        let first = try CLI.run(["stats", "examples/models/gpt-oss-120b.yaml", "--format", "json"])
        let second = try CLI.run(["stats", "examples/models/gpt-oss-120b.yaml", "--format", "json"])
        #expect(first.stdout == second.stdout)
        let ir1 = try CLI.run(["ir", "examples/models/gpt-oss-120b.yaml"])
        let ir2 = try CLI.run(["ir", "examples/models/gpt-oss-120b.yaml"])
        #expect(ir1.stdout == ir2.stdout)
    }

    @Test func passesAndVersion() throws {
        let passes = try CLI.run(["passes"])
        #expect(passes.stdout.contains("assign-precision"))
        let version = try CLI.run(["--version"])
        #expect(version.status == 0)
        #expect(version.stdout.trimmingCharacters(in: .whitespacesAndNewlines) == "0.1.0")
    }
}
