import Testing
import WaferSupport

/// Numbers and counts as users read them (issue 20): no binary noise, no "1 wafers".
@Suite struct UnitsPlainTests {
    @Test func decimalsShowNoBinaryNoise() {
        #expect("\(0.0012 / 10)" == "0.00011999999999999999")  // what `\(x)` printed
        #expect(Units.decimal(0.0012 / 10) == "0.00012")
        #expect(Units.decimal(0.1 + 0.2) == "0.3")
        #expect(Units.decimal(0.001) == "0.001")
        #expect(Units.decimal(8) == "8")
        #expect(Units.decimal(1.5) == "1.5")
        #expect(Units.decimal(-0.25) == "-0.25")
        #expect(Units.decimal(123_456.7) == "123457")
        #expect(Units.decimal(2.0 / 3.0) == "0.666667")
        #expect(Units.decimal(2.0 / 3.0, significant: 2) == "0.67")
        #expect(Units.decimal(0) == "0")
        #expect(Units.decimal(1e-20) == "1e-20")
        #expect(Units.decimal(.infinity) == "inf")
    }

    @Test func countsAreSingularForOne() {
        #expect(Units.count(1, "wafer") == "1 wafer")
        #expect(Units.count(0, "wafer") == "0 wafers")
        #expect(Units.count(32, "wafer") == "32 wafers")
        #expect(Units.count(1_024, "sequence") == "1,024 sequences")
        #expect(Units.count(2, "entry", plural: "entries") == "2 entries")
    }
}
