import Foundation
import Testing
import WaferTestSupport

/// What users hit on the way (issue 20): each test runs the built CLI end to end.
@Suite struct UserPathTests {
    static func json(_ text: String) throws -> [String: Any] {
        try #require(try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any])
    }

    // MARK: - ir, pass names

    @Test func helpIRNamesEveryPassThroughTheLast() throws {
        let passes = try CLI.run(["passes", "--format", "json"])
        #expect(passes.status == 0)
        let names = try #require(try Self.json(passes.stdout)["passes"] as? [[String: Any]]).compactMap { $0["name"] as? String }
        #expect(names.count >= 6)
        let last = try #require(names.last)
        let help = try CLI.run(["help", "ir"])
        #expect(help.status == 0)
        // The abstract wraps; compare it with the line breaks and indentation folded.
        let folded = help.stdout.split(whereSeparator: \.isWhitespace).joined(separator: " ")
        #expect(folded.contains("(front end, \(names.joined(separator: ", ")))"), "\(help.stdout)")
        #expect(folded.contains("\(last))."))
    }

    @Test func printIRAfterTheLastPassPrintsTheIROnce() throws {
        let out = try CLI.run(["ir", "examples/models/tiny.yaml", "--print-ir-after=schedule", "--print-ir-after=route"])
        #expect(out.status == 0)
        // The final IR is on stdout once; the dump after `route` stays on stderr; none after `schedule`.
        #expect(out.stdout.components(separatedBy: "schedule {").count == 2, "\(out.stdout.prefix(400))")
        #expect(!out.stdout.contains("IR Dump"))
        #expect(out.stderr.contains("IR Dump After route"))
        #expect(!out.stderr.contains("IR Dump After schedule"))
        // With --stop-after the last pass is that one.
        let stopped = try CLI.run(["ir", "examples/models/tiny.yaml", "--stop-after=partition", "--print-ir-after-all"])
        #expect(stopped.status == 0)
        #expect(stopped.stderr.contains("IR Dump After assign-precision"))
        #expect(!stopped.stderr.contains("IR Dump After partition"))
        #expect(stopped.stdout.contains("partition = 1 wafer"))
    }

    @Test(arguments: [["ir", "examples/models/tiny.yaml", "--print-ir-after=schedul"],
                      ["count", "examples/models/tiny.yaml", "--print-ir-before=partiton"],
                      ["stats", "examples/models/tiny.yaml", "--print-ir-after=asign-precision"],
                      ["place", "examples/models/tiny.yaml", "--stop-after=rute"]])
    func unknownPassNamesAreUsageErrors(_ arguments: [String]) throws {
        let out = try CLI.run(arguments)
        #expect(out.status == 64, "\(out.stderr)")
        #expect(out.stderr.contains("unknown pass"))
        #expect(out.stderr.contains("did you mean '"))
        #expect(out.stdout.isEmpty)
    }

    // MARK: - Mistyped commands

    @Test func mistypedCommandsGetADidYouMean() throws {
        let out = try CLI.run(["compil", "x"])
        #expect(out.status == 64)
        #expect(out.stderr.contains("error: unknown command 'compil'"))
        #expect(out.stderr.contains("did you mean 'compile'?"))
        let nested = try CLI.run(["defects", "genrate", "--wafers", "1"])
        #expect(nested.status == 64)
        #expect(nested.stderr.contains("unknown command 'genrate' for 'wafermap defects'"))
        #expect(nested.stderr.contains("did you mean 'generate'?"))
        // Far from every command: no guess, the list instead.
        let far = try CLI.run(["zzzzzz"])
        #expect(far.status == 64)
        #expect(!far.stderr.contains("did you mean"))
        #expect(far.stderr.contains("commands of 'wafermap': compile,"))
        // Real commands, help and options still reach the parser.
        #expect(try CLI.run(["help", "count"]).status == 0)
        #expect(try CLI.run(["--version"]).status == 0)
    }

    // MARK: - --format json everywhere figures are printed

    @Test func passesListsAsJSON() throws {
        let table = try CLI.run(["passes"])
        let out = try CLI.run(["passes", "--format", "json"])
        #expect(out.status == 0)
        let rows = try #require(try Self.json(out.stdout)["passes"] as? [[String: Any]])
        #expect(rows.map { $0["position"] as? Int } == Array(1...rows.count).map(Optional.some))
        for row in rows {
            let name = try #require(row["name"] as? String)
            #expect(table.stdout.contains(name + " "))
        }
        #expect(try CLI.run(["passes", "--format", "yaml"]).status == 64)
    }
}
