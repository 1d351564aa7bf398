import Foundation
import Testing
import WaferFrontend
import WaferIR
import WaferPasses
import WaferMap
import WaferSupport
import WaferTestSupport

/// The documented exit statuses (docs/cli.md): 0 success, 1 wrong input or a failing plan,
/// 64 a malformed command line, 70 an internal error.
@Suite struct ExitStatusTests {
    @Test func successWrongInputAndUsageAsAUserMeetsThem() throws {
        #expect(try CLI.run(["count", "examples/models/tiny.yaml"]).status == ExitStatus.success)
        let wrong = try CLI.run(["count", "Tests/Fixtures/bad/syntax-error.yaml"])
        #expect(wrong.status == ExitStatus.inputError && wrong.stderr.contains("syntax-error.yaml:"))
        let missing = try CLI.run(["check", "no-such.plan.json"])
        #expect(missing.status == ExitStatus.inputError && missing.stderr.contains("no-such.plan.json"))
        #expect(try CLI.run(["count", "examples/models/tiny.yaml", "--no-such-flag"]).status == ExitStatus.usage)
        #expect(try CLI.run(["count"]).status == ExitStatus.usage)
        #expect(try CLI.run(["no-such-command"]).status == ExitStatus.usage)
    }

    @Test func aPlanThatFailsItsCheckExitsOne() throws {
        let out = try CLI.run(["check", TestPaths.fixture("plans/tiny-small64.plan.json"), "--kill-pe", "0:8,3"])
        #expect(out.status == ExitStatus.inputError && out.stdout.contains("FAIL"))
    }

    /// No input reaches an internal error by design, so the mapping is tested on the IDs that
    /// mark one: the IR verifier's and every stage's `invariant` case. The status follows the
    /// ID, not the text: an input failure whose message starts "internal:" still exits 1.
    @Test func theStatusFollowsTheDiagnosticID() {
        let verifier = DiagnosticError.error(IRFailure.verification, "IR verification failed after pass 'tile': a tile is missing", at: nil)
        let invariant = DiagnosticError.error(DriverFailure.invariant, "internal: the pipeline produced no result", at: nil)
        let input = DiagnosticError.error(ModelFailure.unknownKind, "unknown layer kind 'mlpp'", at: SourceLocation(file: "m.yaml", line: 3, column: 1))
        let lookalike = DiagnosticError.error(ModelFailure.unknownKind, "internal: unknown layer kind", at: nil)
        let usage = DiagnosticError.error(PassFailure.unknownPass, "--stop-after: unknown pass 'tiel'", at: nil)
        #expect(ExitStatus.of(verifier) == ExitStatus.internalError)
        #expect(ExitStatus.of(invariant) == ExitStatus.internalError)
        #expect(ExitStatus.of(input) == ExitStatus.inputError)
        #expect(ExitStatus.of(lookalike) == ExitStatus.inputError)
        #expect(ExitStatus.of(usage) == ExitStatus.usage)
        #expect(ExitStatus.of(DiagnosticError([input.diagnostics[0], invariant.diagnostics[0]])) == ExitStatus.internalError)
        #expect(ExitStatus.of(DiagnosticError([input.diagnostics[0], usage.diagnostics[0]])) == ExitStatus.usage)
    }

    /// Every stage's invariant case is a bug, and nothing else but the verifier is.
    @Test func onlyInvariantsAndTheVerifierAreBugs() {
        let bugs = DiagnosticCatalogue.ids.filter(\.isBug).map(\.name).sorted()
        let expected = (DiagnosticCatalogue.ids.map(\.name).filter { $0.hasSuffix(".invariant") } + ["ir.verification"]).sorted()
        #expect(bugs == expected && bugs.contains("pass.invariant") && bugs.contains("driver.invariant"))
    }

    /// Through the built CLI: WAFERMAP_DEBUG_FAIL makes a command fail with the named ID, so the
    /// whole path (ID -> ExitStatus.of -> process status) is exercised for each fault.
    @Test func theCLIExitsWithTheStatusOfTheFailingID() throws {
        let command = ["count", "examples/models/tiny.yaml"]
        let bug = try CLI.run(command, environment: ["WAFERMAP_DEBUG_FAIL": "pass.invariant"])
        #expect(bug.status == ExitStatus.internalError && bug.stderr.contains("error: WAFERMAP_DEBUG_FAIL: pass.invariant"))
        #expect(try CLI.run(command, environment: ["WAFERMAP_DEBUG_FAIL": "yaml.unknown-key"]).status == ExitStatus.inputError)
        #expect(try CLI.run(command, environment: ["WAFERMAP_DEBUG_FAIL": "pass.unknown"]).status == ExitStatus.usage)
        let unknown = try CLI.run(command, environment: ["WAFERMAP_DEBUG_FAIL": "no.such-id"])
        #expect(unknown.status == ExitStatus.inputError && unknown.stderr.contains("WAFERMAP_DEBUG_FAIL: 'no.such-id' is not a diagnostic ID"))
        #expect(try CLI.run(command, environment: ["WAFERMAP_DEBUG_FAIL": ""]).status == ExitStatus.success)
    }
}
