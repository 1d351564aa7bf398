import Foundation
import Testing
import WaferSupport

/// The one JSON encoder set-up: reports keep every value (non-finite numbers as strings, never
/// an empty `{}`), keys in snake_case and sorted; plans are compact and refuse non-finite numbers.
@Suite struct JSONOutputTests {
    struct Sample: Encodable { var tokensPerS: Double; var aLabel: String; var zCount: Int }

    @Test func reportsKeepEveryValue() throws {
        let sample = Sample(tokensPerS: .infinity, aLabel: "a/b", zCount: 3)
        let text = JSONOutput.render(sample)
        #expect(text.hasSuffix("}\n"))
        #expect(text.contains("\"tokens_per_s\" : \"inf\"") && text.contains("\"a_label\" : \"a/b\""))
        // Sorted keys: a_label, then tokens_per_s, then z_count.
        let a = try #require(text.range(of: "a_label")), t = try #require(text.range(of: "tokens_per_s")), z = try #require(text.range(of: "z_count"))
        #expect(a.lowerBound < t.lowerBound && t.lowerBound < z.lowerBound)
        let nan = JSONOutput.render(Sample(tokensPerS: .nan, aLabel: "", zCount: 0))
        #expect(nan.contains("\"nan\""))
    }

    @Test func plansAreCompactAndRefuseNonFiniteNumbers() throws {
        let data = try JSONOutput.encoder(.canonical).encode(Sample(tokensPerS: 2.5, aLabel: "x", zCount: 1))
        let text = String(decoding: data, as: UTF8.self)
        #expect(!text.contains("\n") && !text.contains(" : "))
        #expect(text.contains("\"tokens_per_s\":2.5"))
        #expect(throws: (any Error).self) { try JSONOutput.encoder(.canonical).encode(Sample(tokensPerS: .nan, aLabel: "", zCount: 0)) }
    }
}
