import Foundation
import Testing
import WaferFrontend
import WaferPasses
import WaferPlan
import WaferSupport
import WaferTarget
import WaferTestSupport

/// Each stage's readers fail with that stage's IDs (docs/diagnostics.md), so callers can match a
/// failure without its text. (The model fixtures' IDs are in DiagnosticIDTests.)
@Suite struct StageDiagnosticIDTests {
    /// The first error's ID when `body` fails; nil when it succeeds.
    func failure(_ body: () throws(DiagnosticError) -> Void) -> DiagnosticID? {
        do {
            try body()
            return nil
        } catch {
            return error.diagnostics.first?.id
        }
    }

    @Test func configImport() {
        #expect(failure { () throws(DiagnosticError) in _ = try HFImporter.load(path: TestPaths.fixture("hf-bad/trailing-comma.json")) } == DiagnosticID(ConfigFailure.jsonSyntax))
        #expect(failure { () throws(DiagnosticError) in _ = try HFImporter.load(path: TestPaths.fixture("hf-bad/single-quotes.json")) } == DiagnosticID(ConfigFailure.jsonSyntax))
        #expect(failure { () throws(DiagnosticError) in _ = try HFImporter.load(path: TestPaths.fixture("hf-bad/no-such.json")) } == DiagnosticID(ConfigFailure.noSuchFile))
        let deep = "{\"a\": " + String(repeating: "[", count: 200) + String(repeating: "]", count: 200) + "}"
        #expect(failure { () throws(DiagnosticError) in _ = try HFImporter.importConfig(bytes: Array(deep.utf8), file: "c.json") } == DiagnosticID(ConfigFailure.jsonLimit))
        let twice = #"{"model_type": "llama", "model_type": "llama"}"#
        #expect(failure { () throws(DiagnosticError) in _ = try HFImporter.importConfig(bytes: Array(twice.utf8), file: "c.json") } == DiagnosticID(ConfigFailure.duplicateKey))
    }

    @Test func planReader() {
        #expect(failure { () throws(DiagnosticError) in _ = try PlanIO.read(path: TestPaths.fixture("plans/no-such.plan.json")) } == DiagnosticID(PlanFailure.noSuchFile))
        #expect(failure { () throws(DiagnosticError) in _ = try PlanIO.read(path: TestPaths.fixture("plans")) } == DiagnosticID(PlanFailure.isDirectory))
        #expect(failure { () throws(DiagnosticError) in _ = try PlanIO.read(path: TestPaths.fixture("bad/unknown-key.yaml")) } == DiagnosticID(PlanFailure.jsonSyntax))
        #expect(failure { () throws(DiagnosticError) in _ = try PlanIO.read(path: TestPaths.fixture("plans/tiny-small64.plan.json")) } == nil)
    }

    @Test func targetsAndDefects() throws {
        #expect(failure { () throws(DiagnosticError) in _ = try BuiltinTargets.resolve("wse9") } == DiagnosticID(TargetFailure.unknown))
        let small64 = try BuiltinTargets.resolve("small64")
        #expect(failure { () throws(DiagnosticError) in _ = try DefectMapIO.load(path: TestPaths.fixture("defects/bad-duplicate.yaml"), target: small64) }?.stage == .target)
        #expect(failure { () throws(DiagnosticError) in _ = try DefectMapIO.load(path: TestPaths.fixture("defects/small64-uniform.yaml"), target: small64) } == nil)
    }

    @Test func passNames() {
        let unknown = failure { () throws(DiagnosticError) in try PassRegistry.validate("tiel", flag: "--stop-after") }
        #expect(unknown == DiagnosticID(PassFailure.unknownPass) && unknown?.fault == .usage)
    }
}
