import Foundation
import Testing
import WaferTestSupport

/// `wafermap defects cost` through the built executable (docs/redundancy.md).
@Suite struct DefectCostCLITests {
    static let args = ["defects", "cost", "examples/models/tiny.yaml", "--target", "Tests/Fixtures/targets/small64r.yaml", "--rates", "0,0.005,0.02"]

    @Test func jsonHasEveryFieldAndSpeedFallsMonotonically() throws {
        let run = try CLI.run(Self.args + ["--format", "json"])
        #expect(run.status == 0, "\(run.stderr)")
        #expect(run.stderr.contains("defects cost: clustered rate 0.02 (5/5)"), "progress on stderr: \(run.stderr)")
        let object = try #require(try JSONSerialization.jsonObject(with: Data(run.stdout.utf8)) as? [String: Any])
        #expect(object["target"] as? String == "small64r" && object["repair"] as? String == "spare-rows")
        #expect(object["model"] as? String == "examples/models/tiny.yaml" && object["model_name"] as? String == "tiny")
        let monotone = try #require(object["monotone"] as? [String: Bool])
        #expect(monotone == ["uniform": true, "clustered": true])
        let rows = try #require(object["rows"] as? [[String: Any]])
        #expect(rows.count == 6)
        for key in ["rate", "defect_model", "physical_dead_pes_per_wafer", "absorbed_per_wafer", "holes_per_wafer", "wafers", "tokens_per_s",
                    "tokens_per_s_low", "tokens_per_s_high", "percent_of_defect_free", "bypass_hops_rows", "bypass_hops_columns", "spare_columns", "tiles_moved",
                    "detour_routes", "slots_lost", "extra_wafers"] {
            #expect(rows.allSatisfy { $0[key] != nil }, "missing \(key)")
        }
        // Nested maps: the physical dead PEs grow with the rate in each model; the spares absorb most.
        for model in ["uniform", "clustered"] {
            let dead = rows.filter { $0["defect_model"] as? String == model }.compactMap { $0["physical_dead_pes_per_wafer"] as? Double }
            #expect(dead.count == 3 && dead[0] == 0 && dead[0] < dead[1] && dead[1] < dead[2], "\(model): \(dead)")
        }
        let top = try #require(rows.first { $0["rate"] as? Double == 0.02 && $0["defect_model"] as? String == "uniform" })
        #expect((top["absorbed_per_wafer"] as? Double ?? 0) > (top["holes_per_wafer"] as? Double ?? 0))
        #expect((top["bypass_hops_rows"] as? Int ?? 0) > 0)
        // Deterministic: the same seed gives the same bytes.
        #expect(try CLI.run(Self.args + ["--format", "json"]).stdout == run.stdout)
    }

    @Test func badFlagsAreUsageErrors() throws {
        let rates = try CLI.run(Self.args.dropLast(2) + ["--rates", "0,x"])
        #expect(rates.status != 0 && rates.stderr.contains("--rates must be comma-separated numbers"), "\(rates.stderr)")
        let repair = try CLI.run(Self.args + ["--repair", "some"])
        #expect(repair.status != 0 && repair.stderr.contains("--repair must be none or spare-rows"), "\(repair.stderr)")
    }
}
