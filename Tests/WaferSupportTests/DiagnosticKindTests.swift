import Testing
import WaferSupport

/// A kind for tests of the diagnostic machinery itself, apart from any stage.
enum SampleFailure: String, DiagnosticKind {
    case input = "sample.input"
    case usage = "sample.usage"
    case bug = "sample.bug"

    static var stage: DiagnosticStage { .driver }
    var fault: Fault {
        switch self {
        case .input: .input
        case .usage: .usage
        case .bug: .bug
        }
    }
}

/// Diagnostic IDs: built from a kind's case, matched by case, never by message text.
@Suite struct DiagnosticKindTests {
    @Test func anErrorCarriesTheIDOfItsCase() {
        let d = Diagnostic.error(SampleFailure.bug, "internal-looking text is not what decides", at: nil)
        #expect(d.id == DiagnosticID(SampleFailure.bug))
        #expect(d.id?.name == "sample.bug" && d.id?.stage == .driver && d.id?.isBug == true)
        #expect(DiagnosticID(SampleFailure.input).isBug == false)
        #expect(DiagnosticID(SampleFailure.input) != DiagnosticID(SampleFailure.usage))
    }

    @Test func errorsAreMatchedByCase() {
        let error = DiagnosticError([.error(SampleFailure.input, "internal: a message that only looks like a bug", at: nil),
                                     .note("a note has no ID")])
        #expect(error.contains(SampleFailure.input))
        #expect(!error.contains(SampleFailure.bug))
        #expect(error.diagnostics.map(\.id) == [DiagnosticID(SampleFailure.input), nil])
    }

    @Test func theIDDoesNotChangeTheRenderedText() {
        let d = Diagnostic.error(SampleFailure.input, "unknown key 'x'", at: SourceLocation(file: "m.yaml", line: 3, column: 5))
        #expect(d.description == "m.yaml:3:5: error: unknown key 'x'")
        #expect(Diagnostic.warning("w", at: nil).description == "wafermap: warning: w" && Diagnostic.warning("w", at: nil).id == nil)
    }

    @Test func aCollectorKeepsTheIDs() {
        var collector = DiagnosticCollector()
        collector.error(SampleFailure.usage, "bad flag", at: nil)
        #expect(throws: DiagnosticError.self) { try collector.check() }
        #expect(collector.diagnostics.first?.id?.fault == .usage)
    }
}
