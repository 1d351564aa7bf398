import Foundation
import Testing
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

    /// No input reaches an internal error by design, so the mapping is tested on the
    /// diagnostics that mark one: the IR verifier's and every `internal:` message.
    @Test func internalDiagnosticsMapToSeventy() {
        let verifier = DiagnosticError.error("IR verification failed after pass 'tile': a tile is missing", at: nil)
        let invariant = DiagnosticError.error("internal: the pipeline produced no result", at: nil)
        let input = DiagnosticError.error("unknown key 'hidden'", at: SourceLocation(file: "m.yaml", line: 3, column: 1))
        #expect(ExitStatus.of(verifier) == ExitStatus.internalError)
        #expect(ExitStatus.of(invariant) == ExitStatus.internalError)
        #expect(ExitStatus.of(input) == ExitStatus.inputError)
        #expect(ExitStatus.of(DiagnosticError([input.diagnostics[0], invariant.diagnostics[0]])) == ExitStatus.internalError)
    }
}
