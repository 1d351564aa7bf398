import Testing
import WaferSupport

/// Known answers for `SeededRNG`, the generator behind `--seed` (defect generation and the
/// annealing placer). The promise that the same seed gives byte-identical plans on every machine
/// rests on these sequences, so they are literal constants, not values this code computed.
///
/// Where the constants come from: scripts/seeded-rng-reference.c holds Blackman & Vigna's
/// public-domain reference code (prng.di.unimi.it `splitmix64.c` and `xoshiro256starstar.c`)
/// unchanged, plus SeededRNG's seeding rule and helpers written out from their definitions. Before
/// printing anything it checks its two transcriptions against published vectors (the `reference`
/// tests of the Rust crate rand_xoshiro, produced with the reference implementation):
/// SplitMix64 from 1477776061723855037 gives 1985237415132408290, 2979275885539914483, ...; and
/// xoshiro256** from state {1, 2, 3, 4} gives 11520, 0, 1509978240, 1215971899390074240, ...
/// Reproduce with `cc -o /tmp/rng scripts/seeded-rng-reference.c -lm && /tmp/rng`.
@Suite struct SeededRNGTests {
    /// The first five `next()` outputs (seed, stream, outputs) for a few seeds and streams, among
    /// them the placer's stream for wafer 0 (`0x5EED`, PlacePass) and the all-ones seed.
    static let firstOutputs: [(UInt64, UInt64, [UInt64])] = [
        (0, 0, [0x3A4B_B927_75CC_364D, 0x692F_FFE3_C26D_7315, 0x8A32_88C3_E218_85EF, 0x3FCC_D4D0_3C4C_C8B1, 0xB59F_8A3A_01D2_CEA5]),
        (1, 0, [0xBAA2_4E21_D05C_2935, 0x19AC_3505_7764_8864, 0x7EF0_54B7_F95A_306A, 0x1D26_476E_F900_5C9B, 0xBA2B_CCDD_E8E8_1B26]),
        (42, 0, [0x0030_425E_2A3D_C334, 0x057E_19F0_156C_8A6B, 0x8C5C_18F3_7D24_DFD8, 0x0878_8A1A_2C75_E2C4, 0x32B4_6B76_5A14_DA30]),
        (1, 1, [0x77D7_00A7_A654_0254, 0x6C8B_1D04_D408_E689, 0x2393_67B3_1C25_F197, 0x70E6_54CB_C86D_169B, 0x3AFB_2558_CE88_D9B6]),
        (1, 0x5EED, [0xCAF2_3D57_8370_B603, 0xB34A_E4AC_7B67_22C8, 0x8E8D_1825_F049_0794, 0x9496_E6F6_B795_B392, 0x223E_0C4B_D5AE_D0CA]),
        (UInt64.max, 3, [0x3B1F_0ABA_8CCC_90E4, 0xE788_92BB_38E6_8138, 0xD688_5DD4_DAC6_3FE6, 0xF830_65F0_8FA7_7B4C, 0x0C7F_6E3D_0744_EA1A]),
    ]

    @Test(arguments: firstOutputs)
    func firstOutputsMatchTheReferenceImplementation(seed: UInt64, stream: UInt64, expected: [UInt64]) {
        var rng = SeededRNG(seed: seed, stream: stream)
        let actual = (0..<expected.count).map { _ in rng.next() }
        #expect(actual == expected, "seed \(seed) stream \(stream)")
    }

    /// The seed whose SplitMix64 start (`seed ^ 0xD1B54A32D192ED03`) is rand_xoshiro's published
    /// 1477776061723855037: the state is then the published SplitMix64 outputs 1 to 4, which ties
    /// SeededRNG's seeding to the published vector and not only to the C transcription.
    @Test func seedingFromThePublishedSplitMixStart() {
        var rng = SeededRNG(seed: 1_477_776_061_723_855_037 ^ 0xD1B5_4A32_D192_ED03)
        let actual = (0..<5).map { _ in rng.next() }
        #expect(actual == [0x4791_BE2F_9D1A_5F1F, 0x14D4_67F4_B9C6_F88F, 0xDFC7_A7D3_D881_0AB6, 0x8AEE_02AD_DF77_D83E, 0xC57C_0C95_45EF_0F61])
    }

    /// `unit()` takes the top 53 bits: exact binary fractions, compared bit for bit.
    @Test func unitDoublesAreTheTop53Bits() {
        var rng = SeededRNG(seed: 7)
        let actual = (0..<4).map { _ in rng.unit() }
        #expect(actual == [0x1.05cd78e1ba0ccp-2, 0x1.6ca93c06b6515p-1, 0x1.95b35f493a22p-1, 0x1.4b36e13fb4b6cp-3])
        #expect(actual.allSatisfy { $0 >= 0 && $0 < 1 })
    }

    /// `below(n)` (Lemire's multiply-shift with rejection), as the placer draws moves; one
    /// sequence across bounds, so a change in how many draws a call consumes also shows.
    @Test func boundedIntegersFollowLemiresMethod() {
        var rng = SeededRNG(seed: 7)
        let tens = (0..<8).map { _ in rng.below(10) }
        let threes = (0..<4).map { _ in rng.below(3) }
        let large = (0..<2).map { _ in rng.below(1_000_003) }
        #expect(tens == [2, 7, 7, 1, 2, 9, 8, 7])
        #expect(threes == [2, 2, 1, 1])
        #expect(large == [779_416, 896_684])
        // A bound of 0 or 1 has one answer and consumes no draw.
        var a = SeededRNG(seed: 7), b = SeededRNG(seed: 7)
        #expect(a.below(1) == 0 && a.below(0) == 0)
        #expect(a.next() == b.next())
    }

    /// `normal()` (Box–Muller) and `poisson(_:)` (Knuth below 30, rounded normal above), as the
    /// clustered defect generator draws cluster counts, sizes and offsets. The normal draws go
    /// through the C library's `log` and `cos`, which need not round alike on every platform, so
    /// they are compared to 1e-12; the Poisson counts are integers and compared exactly.
    @Test func normalAndPoissonDrawsMatchTheReference() {
        var normals = SeededRNG(seed: 7, stream: 1)
        let expected = [1.1525290478283849, -0.35339408824429469, 2.0755950690886174, 0.90361016589205012]
        for (index, value) in expected.enumerated() {
            let actual = normals.normal()
            #expect(abs(actual - value) <= 1e-12, "normal draw \(index): \(actual), reference \(value)")
        }
        var counts = SeededRNG(seed: 7, stream: 2)
        let small = (0..<6).map { _ in counts.poisson(3.5) }
        let large = (0..<2).map { _ in counts.poisson(100) }
        #expect(small == [0, 4, 0, 4, 1, 5])
        #expect(large == [102, 102])
        #expect(counts.poisson(0) == 0 && counts.poisson(-1) == 0)
    }
}
