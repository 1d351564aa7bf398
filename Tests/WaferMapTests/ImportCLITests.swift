import Foundation
import Testing
import WaferTestSupport

@Suite struct ImportCLITests {
    func temporaryDirectory() throws -> URL {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("wafermap-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        return directory
    }

    @Test func importWritesADescriptionThatStatsReadsBack() throws {
        let directory = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let output = directory.appendingPathComponent("kimi-k2.yaml").path
        let out = try CLI.run(["import", "Tests/Fixtures/hf/kimi-k2/config.json", "-o", output])
        #expect(out.status == 0)
        #expect(out.stdout.contains("wrote \(output): 1,026,408,232,448 parameters"))
        let fromYAML = try CLI.run(["stats", output, "--format", "json"])
        let fromJSON = try CLI.run(["stats", "Tests/Fixtures/hf/kimi-k2/config.json", "--format", "json"])
        let a = try #require(try JSONSerialization.jsonObject(with: Data(fromYAML.stdout.utf8)) as? [String: Any])
        let b = try #require(try JSONSerialization.jsonObject(with: Data(fromJSON.stdout.utf8)) as? [String: Any])
        for key in ["total_params", "active_params", "weight_bytes", "weight_scale_bytes"] {
            #expect(a[key] as? Int == b[key] as? Int, "\(key)")
        }
        #expect(a["weight_bytes"] as? Int == 1_029_173_249_888)
    }

    @Test func importToStandardOutputCarriesProvenance() throws {
        let out = try CLI.run(["import", "Tests/Fixtures/hf/glm-4.5/config.json"])
        #expect(out.status == 0)
        #expect(out.stdout.hasPrefix("# Architecture: model_type 'glm4_moe' (Glm4MoeForCausalLM)."))
        #expect(out.stdout.contains("        experts: 160                     # n_routed_experts"))
        #expect(out.stdout.contains("- repeat: 89                           # layers 3-91: MoE"))
        #expect(out.stdout.contains("  - name: mtp"))
    }

    @Test func statsReportsUnmappedModulesAndTheCheckpointTotal() throws {
        let out = try CLI.run(["stats", "Tests/Fixtures/hf/deepseek-v3/config.json", "--format", "json"])
        #expect(out.status == 0)
        let json = try #require(try JSONSerialization.jsonObject(with: Data(out.stdout.utf8)) as? [String: Any])
        #expect(json["total_params"] as? Int == 671_026_419_200)
        #expect(json["checkpoint_params"] as? Int == 684_489_845_504)
        let modules = try #require(json["unmapped_modules"] as? [[String: Any]])
        #expect(modules.first?["name"] as? String == "mtp")
        let table = try CLI.run(["stats", "Tests/Fixtures/hf/kimi-k2.5/config.json"])
        #expect(table.stdout.contains("not mapped  vision_tower: 471,143,920 params"))
    }

    @Test func countAndCompileTakeAConfigDirectly() throws {
        let count = try CLI.run(["count", "Tests/Fixtures/hf/kimi-k2/config.json", "--context", "131072", "--format", "json"])
        #expect(count.status == 0)
        let json = try #require(try JSONSerialization.jsonObject(with: Data(count.stdout.utf8)) as? [String: Any])
        #expect(json["wafers"] as? Int == 32)
        let directory = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let plan = directory.appendingPathComponent("mistral.plan.json").path
        let compile = try CLI.run(["compile", "Tests/Fixtures/hf/mistral-7b/config.json", "-o", plan])
        #expect(compile.status == 0)
        #expect(compile.stdout.contains("executor    valid"))
        #expect(FileManager.default.fileExists(atPath: plan))
    }

    @Test func aBrokenConfigNamesTheFieldAndWritesNothing() throws {
        let directory = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let config = directory.appendingPathComponent("config.json")
        try Data("{\"model_type\": \"qwen3\", \"vocab_size\": 1000, \"hidden_size\": 64,\n \"num_hidden_layers\": 2, \"torch_dtype\": \"bfloat16\"}\n".utf8).write(to: config)
        let output = directory.appendingPathComponent("out.yaml").path
        let out = try CLI.run(["import", config.path, "-o", output])
        #expect(out.status == 1)
        #expect(out.stderr.contains("\(config.path):1:1: error: missing field 'num_attention_heads'"))
        #expect(!FileManager.default.fileExists(atPath: output))
        let unsupported = try CLI.run(["stats", config.path.replacingOccurrences(of: "config.json", with: "none.json")])
        #expect(unsupported.status == 1)
        #expect(unsupported.stderr.contains("no such file"))
    }
}
