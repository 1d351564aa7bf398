import Testing
@testable import WaferPlan

/// Positions for error messages: syntax errors, key paths, scalars.
@Suite struct JSONLocatorTests {
    func locator(_ text: String) -> JSONLocator { JSONLocator(Array(text.utf8)) }

    @Test func validTextAndSyntaxErrors() {
        #expect(locator("{\"a\": [1, 2.5e3, -4], \"b\": {\"c\": null, \"d\": \"x\\\"y\"}, \"e\": true}").validate() == .valid)
        #expect(locator("{\"a\": [1, 2,]}").validate() == .invalid("unexpected character ']'", .init(line: 1, column: 13, offset: 12)))
        if case let .invalid(message, at) = locator("{\n  \"a\": 1,\n  \"b\": [1, 2").validate() {
            #expect(message.contains("truncated"))
            #expect(at.line == 3)
        } else {
            Issue.record("a truncated text was accepted")
        }
        if case let .invalid(_, at) = locator("{\"a\": 1}\n{").validate() { #expect(at.line == 2 && at.column == 1) } else { Issue.record("trailing text was accepted") }
    }

    @Test func pathsAndScalars() {
        let l = locator("{\n \"format\": \"wafermap-plan\",\n \"list\": [{\"k\": 1}, {\"k\": 22}],\n \"v\": 7\n}")
        if case let .found(p) = l.locate([.key("list"), .index(1), .key("k")]) { #expect(p.line == 3 && p.column == 27) } else { Issue.record("path not found") }
        #expect(l.scalar(at: [.key("format")]) == "wafermap-plan")
        #expect(l.scalar(at: [.key("v")]) == "7")
        #expect(l.scalar(at: [.key("list")]) == nil)
        #expect(l.scalar(at: [.key("missing")]) == nil)
    }

    @Test func snakeCaseMatchesTheEncoder() {
        #expect(PlanIO.snakeCase("dataBytesPerPe") == "data_bytes_per_pe")
        #expect(PlanIO.snakeCase("tokensPerS") == "tokens_per_s")
    }
}

/// The scan counts values: what decoding holds in memory grows with them, not with the bytes
/// (a plan of 25 million one-letter strings took 1.3 GB), so the plan reader bounds the count.
@Suite struct JSONValueCountTests {
    @Test func moreValuesThanTheLimitAreRefusedAtTheFirstOneOver() {
        let limits = JSONLocator.Limits(maxDepth: 8, acceptedDigits: 9, maxValues: 5) { _, _ in nil }
        let text = Array("[1, 2, 3, 4]".utf8), over = Array("[1, 2, 3, 4, 5]".utf8)
        if case .refused = JSONLocator(text).validate(limits: limits) { Issue.record("five values (the list and four numbers) were refused") }
        guard case let .refused(message, at) = JSONLocator(over).validate(limits: limits) else {
            Issue.record("six values were read"); return
        }
        #expect(message.contains("more than 5 values"))
        #expect(at.line == 1 && at.column == 14)
        #expect(PlanLimits.maxValues == 1 << 24 && PlanLimits.maxFileBytes == 1 << 28)
    }
}
