import Foundation
import Testing
@testable import WaferPlan
import WaferSupport

/// Exception routes as plan text (format 4): the writer and reader agree on every field, and the
/// reader refuses malformed routes at the string's line and column, naming the field.
@Suite struct PlanRouteTextTests {
    static let routes: [PlanException] = [
        PlanException(wafer: 0, ownerKind: .lineClass, owner: 12, role: .stream, carries: [.stream, .leader], line: 0, position: 611, start: 1384,
                      moves: "NWWS", colors: [13], runStarts: [0], overlay: false, extraHops: 3, relays: 2),
        PlanException(wafer: 2, ownerKind: .lineClass, owner: 1, role: .broadcast, carries: [.broadcast], line: 57, position: 365, start: 280_478,
                      moves: "EENNNWW", colors: [20, 19, 20], runStarts: [0, 1, 5], overlay: true, extraHops: 6, relays: 8),
        PlanException(wafer: 1, ownerKind: .bundle, owner: 3, role: .lane, carries: [.lane], line: 9, position: 1, start: 0,
                      moves: "", colors: [], runStarts: [], overlay: false, extraHops: 0, relays: 0),
        PlanException(wafer: -1, ownerKind: .bundle, owner: 0, role: .stream, carries: [.leader, .stream], line: 0, position: 0, start: 7,
                      moves: String(repeating: "S", count: 700) + "E", colors: [4, 5], runStarts: [0, 0], overlay: false, extraHops: 700, relays: 1),
    ]

    @Test func writerAndReaderAgree() throws {
        let exceptions = PlanExceptions(Self.routes)
        let texts = (0..<exceptions.count).map { PlanRouteText.text(exceptions, $0) }
        #expect(texts[0] == "0 class:12 stream+leader 0 611 1384 NW2S 13 3 2")
        #expect(texts[1] == "2 class:1 broadcast 57 365 280478 E2N3W2 20,19@1,20@5 6 8 overlay")
        #expect(texts[2] == "1 bundle:3 lane 9 1 0 - - 0 0")
        #expect(texts[3] == "-1 bundle:0 stream=leader+stream 0 0 7 S700E 4,5 700 1")
        var back = PlanExceptions()
        var hops = 0
        for text in texts { try PlanRouteText.parse(text, into: &back, hops: &hops) }
        #expect(back == exceptions)
        #expect(hops == 4 + 7 + 0 + 701)
        // Through the JSON coders: one string per route.
        let data = try JSONEncoder().encode(exceptions)
        #expect(try JSONDecoder().decode([String].self, from: data) == texts)
        #expect(try JSONDecoder().decode(PlanExceptions.self, from: data) == exceptions)
    }

    @Test func malformedRoutesAreRefused() {
        func problem(_ text: String, hops start: Int = 0) -> String? {
            var e = PlanExceptions(), hops = start
            do throws(PlanRouteText.Problem) { try PlanRouteText.parse(text, into: &e, hops: &hops); return nil } catch { return error.message }
        }
        #expect(problem("0 class:1 stream 0 0 5 E 3 0 0") == nil)
        #expect(problem("0 class:1 stream 0 0 5 E 3 0")?.contains("10 fields") == true)
        #expect(problem("0 class:1  stream 0 0 5 E 3 0 0")?.contains("10 fields") == true)
        #expect(problem("0 room:1 stream 0 0 5 E 3 0 0")?.contains("owner") == true)
        #expect(problem("0 class:1 relay 0 0 5 E 3 0 0")?.contains("unknown route role 'relay'") == true)
        #expect(problem("0 class:1 stream= 0 0 5 E 3 0 0")?.contains("unknown route role ''") == true)
        #expect(problem("0 class:1 stream=leader=lane 0 0 5 E 3 0 0")?.contains("one role before '='") == true)
        #expect(problem("0 class:1 stream 0 0 -5 E 3 0 0")?.contains("start") == true)
        #expect(problem("0 class:1 stream 0 0 5 X3 3 0 0")?.contains("moves") == true)
        #expect(problem("0 class:1 stream 0 0 5 E0 3 0 0")?.contains("a run of 0 hops") == true)
        #expect(problem("0 class:1 stream 0 0 5 E5000 3 0 0")?.contains("a run of 5000 hops") == true)
        #expect(problem("0 class:1 stream 0 0 5 E2 3 0 0", hops: PlanLimits.maxExceptionHops - 1)?.contains("more than") == true)
        #expect(problem("0 class:1 stream 0 0 5 E 3@x 0 0")?.contains("colors") == true)
        #expect(problem("0 class:1 stream 0 0 5 E 3 0 99999999999")?.contains("relays") == true)
        #expect(problem("0 class:1 stream 0 0 5 E 3 0 2147483648")?.contains("beyond") == true)
        #expect(problem("0 class:1 stream 0 0 5 E 3 0 0 overlay") == nil)
        #expect(problem("0 class:1 stream 0 0 5 E 3 0 0 over")?.contains("10 fields") == true)
    }

    /// The reader names the route and its field, at the string's line and column.
    @Test func locatedErrors() throws {
        let fixture = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("Fixtures/plans/tiny-small64-clustered.plan.json")
        let text = try String(contentsOf: fixture, encoding: .utf8)
        let plan = try PlanIO.decode(Data(text.utf8), file: "p.json")
        #expect(plan.routing.exceptions.count > 1)
        let second = PlanRouteText.text(plan.routing.exceptions, 1)
        let needle = "\"" + second.replacingOccurrences(of: " class:", with: " klass:").replacingOccurrences(of: " bundle:", with: " bunch:") + "\""
        let broken = text.replacingOccurrences(of: "\"" + second + "\"", with: needle)
        #expect(broken != text)
        do throws(DiagnosticError) {
            _ = try PlanIO.decode(Data(broken.utf8), file: "p.json")
            Issue.record("a malformed route was accepted")
        } catch {
            let d = error.diagnostics[0]
            #expect(d.message.contains("routing.exceptions[1]: owner"), "\(d.message)")
            let offset = broken.utf8.distance(from: broken.startIndex, to: broken.range(of: needle)!.lowerBound)
            #expect(d.location == SourceLocation(file: "p.json", line: 1, column: offset + 1), "\(String(describing: d.location))")
        }
    }
}
