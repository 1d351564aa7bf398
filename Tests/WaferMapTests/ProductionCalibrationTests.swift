import Foundation
import Testing
import WaferMap
import WaferPerf
import WaferReport
import WaferSupport
import WaferTestSupport

/// The production data set (examples/calibration/production-wse3.yaml, copied from Cerebras'
/// published per-user speeds on WSE-3) and `wafermap calibrate --production`: the file holds the
/// published figures with their conditions, fit and validation rows stay apart, and nothing is
/// fitted.
@Suite struct ProductionCalibrationTests {
    static let production = TestPaths.root.appendingPathComponent("examples/calibration/production-wse3.yaml").path

    @Test func theShippedFileHoldsThePublishedFiguresAndTheirConditions() throws {
        let set = try ProductionSet.load(path: Self.production)
        #expect(set.target == "wse3")
        let fit = set.rows.filter { $0.role == .fit }, validation = set.rows.filter { $0.role == .validation }
        // The reference's fit set, in its order: launch 8B and 70B (16-bit, 1 and 4 systems, no
        // speculative decoding), October 70B (speculative named), 405B.
        #expect(fit.map(\.tokensPerS) == [1800, 450, 2100, 969])
        #expect(fit.map(\.wafers) == [1, 4, nil, nil])
        #expect(fit.map(\.speculative) == [.no, .no, .yes, .assumed])
        #expect(fit.prefix(2).allSatisfy { $0.precision == "16-bit" })
        #expect(validation.map(\.modelName) == ["../models/gpt-oss-120b.yaml", "../models/qwen3-235b-a22b.yaml"])
        #expect(validation.map(\.tokensPerSLow) == [2059, 1400])
        #expect(validation.map(\.tokensPerSHigh) == [3000, 1500])
        for row in set.rows {
            #expect(!row.source.isEmpty && !row.date.isEmpty)
            #expect(FileManager.default.fileExists(atPath: row.modelPath), "\(row.modelPath)")
        }
    }

    @Test func badProductionFilesGetTypedLocatedErrors() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("wafermap-prod-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let path = directory.appendingPathComponent("p.yaml").path
        let head = "version: 1\nsource: x\ntarget: wse3\ncontext_tokens: 8192\nrows:\n"
        // nil: the YAML reader's own typed failure (a value of the wrong type), still located.
        let cases: [(String, PerfFailure?, String)] = [
            (head + "  - {model: m.yaml, set: fit, tokens_per_s: 100, date: d, precision: p, wafers: some, speculative: \"no\", source: s}\n", nil, "p.yaml:6:81:"),
            (head + "  - {model: m.yaml, set: fit, tokens_per_s: 100, date: d, precision: p, wafers: 1, speculative: maybe, source: s}\n", .productionValue, "p.yaml:6:"),
            (head + "  - {model: m.yaml, set: fit, tokens_per_s: 100, tokens_per_s_low: 200, date: d, precision: p, wafers: 1, speculative: \"no\", source: s}\n", .productionValue, "p.yaml:6:"),
            (head + "  []\n", .productionEmpty, "p.yaml:"),
            ("version: 2\n", .productionVersion, "p.yaml:1:"),
        ]
        for (text, kind, located) in cases {
            try text.write(toFile: path, atomically: true, encoding: .utf8)
            do {
                _ = try ProductionSet.load(path: path)
                Issue.record("accepted: \(text)")
            } catch {
                if let kind { #expect(error.contains(kind), "\(error)") }
                #expect("\(error)".contains(located), "\(error)")
            }
        }
    }

    /// One run of the command (six compiles on wse3): both tables, every row's conditions, the
    /// validation rows never in the fit set, and `--fit` refused beside `--production`.
    @Test func calibrateProductionComparesWithoutFitting() throws {
        let out = try CLI.run(["calibrate", "--production", "--format", "json"])
        #expect(out.status == 0, "\(out.stderr)")
        let json = try #require(try JSONSerialization.jsonObject(with: Data(out.stdout.utf8)) as? [String: Any])
        #expect(json["fitted"] as? Bool == false)
        let fit = try #require(json["fit_set"] as? [[String: Any]]), validation = try #require(json["validation_set"] as? [[String: Any]])
        #expect(fit.count == 4 && validation.count == 2)
        #expect(fit.allSatisfy { $0["set"] as? String == "fit" } && validation.allSatisfy { $0["set"] as? String == "validation" })
        #expect(validation.map { $0["model"] as? String } == ["gpt-oss-120b", "qwen3-235b-a22b"])
        for row in fit + validation {
            let published = try #require(row["published_tokens_per_s"] as? Double), predicted = try #require(row["predicted_tokens_per_s"] as? Double)
            let ratio = try #require(row["ratio"] as? Double), layers = try #require(row["decoder_layers"] as? Int)
            #expect(predicted > 0 && abs(ratio - predicted / published) < 1e-9)
            let publishedLayer = try #require(row["published_layer_us"] as? Double)
            #expect(abs(publishedLayer - 1e6 / published / Double(layers)) < 1e-9)
            for key in ["published_precision", "compiled_precision", "speculative", "source", "wafers", "predicted_layer_us"] { #expect(row[key] != nil, "\(key)") }
        }
        // The launch rows state their system counts; the compile honours them where the model fits.
        #expect(fit.first?["wafers"] as? Int == 1 && fit.first?["published_wafers"] as? Int == 1)
        let refused = try CLI.run(["calibrate", "--production", "--fit"])
        #expect(refused.status != 0)
        #expect(refused.stderr.contains("--production"))
    }
}
