import Testing
import WaferSupport

/// Byte sizes of every storage format, against sizes worked out by hand from the checkpoint
/// layouts each format models.
@Suite struct NumberFormatTests {
    let fp8Block = NumberFormat(.fp8_e4m3, scaling: .block(rows: 128, cols: 128, scale: .fp32))

    @Test func plainFloats() {
        #expect(NumberFormat.fp32.storage(shape: [3, 5]) == StorageSize(valueBytes: 60, scaleBytes: 0))
        #expect(NumberFormat.bf16.storage(shape: [4096]) == StorageSize(valueBytes: 8192, scaleBytes: 0))
        #expect(NumberFormat(.fp8_e5m2).storage(shape: [7, 9]) == StorageSize(valueBytes: 63, scaleBytes: 0))
    }

    @Test func fp8BlockScalesDeepSeekStyle() {
        // q_a_proj of DeepSeek-V3: 1536 x 7168 -> 12 x 56 blocks of fp32 scales.
        #expect(fp8Block.storage(shape: [1536, 7168]) == StorageSize(valueBytes: 11_010_048, scaleBytes: 12 * 56 * 4))
        // kv_a_proj_with_mqa: 576 rows round up to 5 row blocks.
        #expect(fp8Block.storage(shape: [576, 7168]) == StorageSize(valueBytes: 4_128_768, scaleBytes: 5 * 56 * 4))
        // Stacked experts repeat the layout per expert.
        #expect(fp8Block.storage(shape: [3, 256, 200]) == StorageSize(valueBytes: 3 * 256 * 200, scaleBytes: 3 * 2 * 2 * 4))
    }

    @Test func int4PacksEightValuesPerWord() {
        let int4 = NumberFormat(.int4, scaling: .group(size: 32, scale: .bf16))
        // Kimi K2 Thinking style expert matrix 2048 x 7168.
        #expect(int4.storage(shape: [2048, 7168]) == StorageSize(valueBytes: 2048 * 896 * 4, scaleBytes: 2048 * 224 * 2))
        // A row of 9 values needs two 32-bit words and one group scale.
        #expect(int4.storage(shape: [1, 9]) == StorageSize(valueBytes: 8, scaleBytes: 2))
    }

    @Test func mxfp4IsExactly4Point25Bits() throws {
        let size = try #require(NumberFormat.mxfp4.storage(shape: [2880, 2880]))
        #expect(size.valueBytes == 2880 * 90 * 16)
        #expect(size.scaleBytes == 2880 * 90)
        #expect(size.totalBytes * 8 * 100 == 2880 * 2880 * 425)
    }

    @Test func int8PerChannel() {
        let int8 = NumberFormat(.int8, scaling: .channel(scale: .fp32))
        #expect(int8.storage(shape: [10, 20]) == StorageSize(valueBytes: 200, scaleBytes: 40))
    }

    @Test func vectorsAreOneRow() {
        let int4 = NumberFormat(.int4, scaling: .group(size: 32, scale: .bf16))
        #expect(int4.storage(shape: [64]) == StorageSize(valueBytes: 32, scaleBytes: 4))
    }

    @Test func overflowIsReportedNotTrapped() {
        #expect(NumberFormat.fp32.storage(shape: [Int.max / 2, 3]) == nil)
        #expect(fp8Block.storage(shape: [1 << 40, 1 << 30]) == nil)
    }

    @Test func validation() {
        #expect(NumberFormat(.bf16, scaling: .group(size: 32, scale: .bf16)).validationProblem() != nil)
        #expect(NumberFormat(.mxfp4, scaling: .group(size: 16, scale: .e8m0)).validationProblem() != nil)
        #expect(NumberFormat(.int4).validationProblem() != nil)
        #expect(NumberFormat(.int4, scaling: .group(size: 0, scale: .bf16)).validationProblem() != nil)
        #expect(fp8Block.validationProblem() == nil)
        #expect(NumberFormat.mxfp4.validationProblem() == nil)
    }

    @Test func canonicalText() {
        #expect(fp8Block.description == "fp8_e4m3[block=128x128,scale=fp32]")
        #expect(NumberFormat(.int4, scaling: .group(size: 32, scale: .bf16)).description == "int4[group=32,scale=bf16]")
        #expect(NumberFormat(.int8, scaling: .channel(scale: .bf16)).description == "int8[channel,scale=bf16]")
        #expect(NumberFormat.mxfp4.description == "mxfp4")
    }
}

@Suite struct SupportTests {
    @Test func groupedDigits() {
        #expect(Units.grouped(0) == "0")
        #expect(Units.grouped(999) == "999")
        #expect(Units.grouped(1000) == "1,000")
        #expect(Units.grouped(-1_234_567) == "-1,234,567")
        #expect(Units.grouped(1_026_408_232_448) == "1,026,408,232,448")
    }

    @Test func unitsAreSpelledOut() {
        #expect(Units.gigabytes(16_060_522_496) == "16.06 GB")
        #expect(Units.gibibytes(16_060_522_496) == "14.96 GiB")
        #expect(Units.shortCount(8_030_261_248) == "8.03B")
        #expect(Units.shortCount(1_026_408_232_448) == "1.03T")
        #expect(Units.fixed(2.5, digits: 0) == "2")
        #expect(Units.fixed(-0.004, digits: 2) == "0.00")
        #expect(Units.fixed(1.005, digits: 1) == "1.0")
    }

    @Test func editDistanceCountsTranspositionsOnce() {
        #expect(Suggest.editDistance("hedas", "heads") == 1)
        #expect(Suggest.editDistance("kitten", "sitting") == 3)
        #expect(Suggest.editDistance("", "abc") == 3)
        #expect(Suggest.closest(to: "precison", in: ["layers", "precision"]) == "precision")
        #expect(Suggest.closest(to: "zzzz", in: ["layers", "precision"]) == nil)
    }

    @Test func checkedArithmetic() {
        #expect(Checked.mul(Int.max, 2) == nil)
        #expect(Checked.product([1 << 20, 1 << 20, 1 << 20]) == 1 << 60)
        #expect(Checked.product([1 << 32, 1 << 32]) == nil)
        #expect(Checked.sum([Int.max, 1]) == nil)
        #expect(Checked.ceilDiv(129, 128) == 2)
        #expect(Checked.ceilDiv(128, 128) == 1)
    }

    @Test func diagnosticsRenderLikeCompilers() {
        let d = Diagnostic.error(SampleFailure.input, "unknown key 'x'", at: SourceLocation(file: "m.yaml", line: 3, column: 5),
                                 notes: [.note("did you mean 'y'?", at: SourceLocation(file: "m.yaml", line: 3, column: 5))])
        #expect(d.description == "m.yaml:3:5: error: unknown key 'x'\nm.yaml:3:5: note: did you mean 'y'?")
        let sorted = DiagnosticError([.error(SampleFailure.input, "b", at: SourceLocation(file: "f", line: 9, column: 1)),
                                      .error(SampleFailure.input, "a", at: SourceLocation(file: "f", line: 2, column: 1))])
        #expect(sorted.diagnostics.map(\.message) == ["a", "b"])
    }
}
