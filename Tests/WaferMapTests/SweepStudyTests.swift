import Foundation
import Testing
import WaferMap
import WaferPasses
import WaferReport
import WaferStudy
import WaferSupport
import WaferTestSupport

/// `wafermap sweep` as aiconfigurator users expect (docs/cli.md, "sweep"): batch and context
/// axes, per-wafer throughput, the three-objective Pareto front, short precision labels
/// (lines under 120 characters), `--format csv`, and `--shard K/N` merged byte for byte.
@Suite struct SweepStudyTests {
    static let tiny = ["examples/models/tiny.yaml", "--target", "small64"]

    /// A hand-made row: only the objectives matter to the front.
    static func row(_ tokensPerS: Double, aggregate: Double, wafers: Int, flags: String) -> SweepReport.Row {
        SweepReport.Row(precision: "bf16", wafers: wafers, batch: 1, contextTokens: 8192, slot: "8x8", mapping: "1x1 slots of 8x8", tokensPerS: tokensPerS,
                        tokensPerSLow: tokensPerS, tokensPerSHigh: tokensPerS, microsecondsPerToken: 1e6 / tokensPerS, timeToFirstTokenMs: 1,
                        timeToFirstTokenSerialMs: 1, aggregateTokensPerS: aggregate, sequencesInFlight: 1, allreducePercent: 0, macPercent: 0,
                        speculative: nil, flags: flags, passOptions: [])
    }

    /// The front over (tokens/s per user: max, aggregate tokens/s per wafer: max, wafers: min).
    @Test func paretoFrontOnConstructedRows() throws {
        let rows = [
            Self.row(100, aggregate: 100, wafers: 1, flags: "a"),   // fastest per user: on it
            Self.row(90, aggregate: 360, wafers: 2, flags: "b"),    // 180 per wafer, the most: on it
            Self.row(90, aggregate: 300, wafers: 2, flags: "c"),    // b is as fast, more per wafer, same wafers: off
            Self.row(80, aggregate: 80, wafers: 1, flags: "d"),     // a beats it in all three: off
            Self.row(100, aggregate: 200, wafers: 2, flags: "e"),   // a: as fast, 100 vs 100 per wafer, fewer wafers: off
            Self.row(50, aggregate: 50, wafers: 1, flags: "f"),     // a dominates: off
            Self.row(90, aggregate: 360, wafers: 2, flags: "g"),    // equal to b in all three: both stay on
        ]
        #expect(SweepReport.paretoFront(rows) == [true, true, false, false, false, false, true])
        // The ranking is a total order: per user, then per wafer, then fewer wafers, then flags.
        let header = try Driver.sweepHeader(SweepRequest(count: CountRequest(modelPath: TestPaths.example("tiny"))))
        let report = try SweepReport.assemble(header: header, outcomes: [SweepOutcome(rows: rows, skipped: [])])
        #expect(report.rows.map(\.flags) == ["a", "e", "b", "g", "c", "d", "f"])
        #expect(report.rows.map(\.pareto) == [true, false, true, true, false, false, false])
    }

    @Test func shortPrecisionLabels() {
        #expect(PrecisionLabel.short("bf16") == "bf16")
        #expect(PrecisionLabel.short("fp8_e4m3") == "fp8")
        #expect(PrecisionLabel.short("fp8_e5m2") == "fp8e5")
        #expect(PrecisionLabel.short("mxfp4") == "mxfp4")
        #expect(PrecisionLabel.short("int4[group=32,scale=bf16]") == "int4/g32")
        #expect(PrecisionLabel.short("int8[channel,scale=bf16]") == "int8/ch")
        #expect(PrecisionLabel.short("fp8_e4m3[block=128x128,scale=fp32]") == "fp8/b128")
        #expect(PrecisionLabel.short("fp8_e4m3[block=128x128,scale=fp32] (embedding: bf16, lm_head: bf16, router: bf16)") == "fp8/b128+3")
        // Two policies with one short form: numbered in the order of their full text.
        let labels = PrecisionLabel.labels(for: ["int4[group=32,scale=fp16]", "int4[group=32,scale=bf16]", "bf16"])
        #expect(labels == ["bf16": "bf16", "int4[group=32,scale=bf16]": "int4/g32~1", "int4[group=32,scale=fp16]": "int4/g32~2"])
    }

    /// `--batches` and `--contexts` are axes: every (batch, context) pair has a row, and the
    /// row's flags reproduce it.
    @Test func batchAndContextAxesProduceRows() throws {
        var count = CountRequest(modelPath: TestPaths.example("tiny"))
        count.target = "small64"
        var request = SweepRequest(count: count)
        request.extraWafers = 0
        request.batches = [1, 2]
        request.contexts = [1024, 8192]
        let report = try Driver.sweep(request)
        #expect(Set(report.rows.map { "\($0.batch)x\($0.contextTokens)" }) == ["1x1024", "1x8192", "2x1024", "2x8192"])
        for r in report.rows {
            #expect(r.flags.contains("--batch \(r.batch) --context \(r.contextTokens)"))
            #expect(r.aggregateTokensPerSPerWafer == r.aggregateTokensPerS / Double(r.wafers))
        }
        for bad in [[0], [1, 1], Array(1...17)] {
            var wrong = request
            wrong.batches = bad
            #expect(throws: DiagnosticError.self) { try Driver.sweepConfigurations(wrong) }
        }
        var long = request
        long.contexts = [1 << 31]
        #expect(throws: DiagnosticError.self) { try Driver.sweepConfigurations(long) }
        let conflict = try CLI.run(["sweep"] + Self.tiny + ["--batch", "4", "--batches", "1,2"])
        #expect(conflict.status != 0 && conflict.stderr.contains("give --batch or --batches, not both"), "\(conflict.stderr)")
        let notNumber = try CLI.run(["sweep"] + Self.tiny + ["--contexts", "8k"])
        #expect(notNumber.status != 0 && notNumber.stderr.contains("--contexts: '8k' is not a whole number"), "\(notNumber.stderr)")
    }

    /// A mixed-precision sweep with knob variations and both axes: every line of the table
    /// output is under 120 characters; the legend maps each label to its full policy.
    @Test func tableLinesStayUnder120Characters() throws {
        let out = try CLI.run(["sweep", "Tests/Fixtures/models/tiny-mixed.yaml", "--target", "small64", "--extra-wafers", "1", "--vary", "tile.max-grid=1,16",
                               "--pass-option", "place.steps=100", "--batches", "1,2", "--contexts", "1024,131072", "--top", "20"])
        #expect(out.status == 0, "\(out.stderr)")
        let lines = out.stdout.split(separator: "\n", omittingEmptySubsequences: false)
        #expect(lines.count > 20)
        for line in lines { #expect(line.count < 120, "\(line.count) characters: \(line)") }
        #expect(out.stdout.contains("  fp8/b32+2 = fp8_e4m3[block=32x32,scale=fp32] (embedding: bf16, experts: int4[group=32,scale=bf16])"))
        #expect(out.stdout.contains("tokens/s/user") && out.stdout.contains("tokens/s/wafer") && out.stdout.contains("Pareto front"))
    }

    /// `--format csv`: a header row of the documented columns, then one row per mapping, each
    /// with as many fields (RFC 4180 quoting: the mapping and flags hold commas and quotes).
    @Test func csvParsesWithAConstantColumnCount() throws {
        let out = try CLI.run(["sweep"] + Self.tiny + ["--extra-wafers", "1", "--precision", "bf16,int4[group=32,scale=bf16]", "--format", "csv"])
        #expect(out.status == 0, "\(out.stderr)")
        let records = Self.parseCSV(out.stdout)
        #expect(records.first == SweepReport.csvColumns)
        #expect(records.count == 5)  // 2 precisions x 2 wafer counts
        for r in records { #expect(r.count == SweepReport.csvColumns.count) }
        let flags = try #require(SweepReport.csvColumns.firstIndex(of: "flags"))
        #expect(records.dropFirst().contains { $0[flags].contains("--precision 'int4[group=32,scale=bf16]'") })
        #expect(records.dropFirst().allSatisfy { Double($0[8]) ?? 0 > 0 && Double($0[12]) ?? 0 > 0 })
    }

    /// RFC 4180: fields split at commas outside quotes, `""` inside quotes is one quote, CRLF ends a record.
    static func parseCSV(_ text: String) -> [[String]] {
        var records: [[String]] = [], record: [String] = [], field = "", quoted = false
        var chars = Array(text)[...]
        while let c = chars.popFirst() {
            if quoted {
                if c == "\"" { if chars.first == "\"" { field.append("\""); chars.removeFirst() } else { quoted = false } } else { field.append(c) }
            } else if c == "\"" { quoted = true
            } else if c == "," { record.append(field); field = ""
            } else if c == "\r\n" || c == "\n" { record.append(field); records.append(record); record = []; field = ""
            } else { field.append(c) }
        }
        return records
    }

    /// Runs the sweep unsharded with `-o` and as `--shard 1/2`, `2/2` merged, in each format;
    /// the bytes are equal. Parts of another command line are refused.
    @Test func shardsMergeToTheUnshardedBytes() throws {
        let directory = try Self.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let study = ["sweep"] + Self.tiny + ["--extra-wafers", "1", "--precision", "bf16,fp8_e4m3", "--batches", "1,2"]
        for format in ["table", "json", "csv"] {
            let full = directory.appendingPathComponent("full.\(format)").path
            #expect(try CLI.run(study + ["--format", format, "-o", full]).status == 0)
            var parts: [String] = []
            for k in [2, 1] {
                let part = directory.appendingPathComponent("part\(k).\(format).json").path
                let run = try CLI.run(study + ["--format", format, "--shard", "\(k)/2", "-o", part])
                #expect(run.status == 0, "\(run.stderr)")
                parts.append(part)
            }
            let merged = directory.appendingPathComponent("merged.\(format)").path
            let merge = try CLI.run(["merge"] + parts + ["-o", merged])
            #expect(merge.status == 0, "\(merge.stderr)")
            let a = try Data(contentsOf: URL(fileURLWithPath: full)), b = try Data(contentsOf: URL(fileURLWithPath: merged))
            #expect(!a.isEmpty && a == b, "\(format): merged output differs from the unsharded -o output")
        }
        // Another --batches: another study; merge refuses to mix it in.
        let other = directory.appendingPathComponent("other.json").path
        #expect(try CLI.run(["sweep"] + Self.tiny + ["--extra-wafers", "1", "--precision", "bf16,fp8_e4m3", "--batches", "1,4", "--format", "csv",
                                                     "--shard", "1/2", "-o", other]).status == 0)
        let mixed = try CLI.run(["merge", other, directory.appendingPathComponent("part2.csv.json").path])
        #expect(mixed.status != 0 && mixed.stderr.contains("is a shard of another sweep study"), "\(mixed.stderr)")
        let missing = try CLI.run(["merge", directory.appendingPathComponent("part2.csv.json").path])
        #expect(missing.status != 0 && missing.stderr.contains("1/2"), "\(missing.stderr)")
        let noOutput = try CLI.run(study + ["--shard", "1/2"])
        #expect(noOutput.status != 0 && noOutput.stderr.contains("give it a file with -o"))
    }

    /// The same study through GNU parallel (Debian's `parallel`): both shards at once, merged,
    /// equal to the unsharded run's bytes.
    @Test(.enabled(if: FileManager.default.isExecutableFile(atPath: "/usr/bin/parallel"), "needs GNU parallel (scripts/ensure-deps.sh)"))
    func shardsRunThroughGNUParallel() throws {
        let directory = try Self.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let flags = ["sweep"] + Self.tiny + ["--extra-wafers", "1", "--precision", "bf16,fp8_e4m3", "--contexts", "1024,8192", "--format", "csv"]
        let full = directory.appendingPathComponent("full.csv").path
        #expect(try CLI.run(flags + ["-o", full]).status == 0)
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/parallel")
        process.currentDirectoryURL = TestPaths.root
        process.arguments = ["--will-cite", "--halt", "now,fail=1", CLI.executable.path] + flags
            + ["--shard", "{}/2", "-o", directory.path + "/part{}.json", ":::", "1", "2"]
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        process.waitUntilExit()
        #expect(process.terminationStatus == 0)
        let merged = directory.appendingPathComponent("merged.csv").path
        let merge = try CLI.run(["merge", directory.path + "/part1.json", directory.path + "/part2.json", "-o", merged])
        #expect(merge.status == 0, "\(merge.stderr)")
        #expect(try Data(contentsOf: URL(fileURLWithPath: full)) == Data(contentsOf: URL(fileURLWithPath: merged)))
    }

    /// A sweep longer than a second names its configuration on stderr off a terminal; stdout is
    /// the same with and without progress.
    @Test func progressOnStderrForRunsLongerThanASecond() throws {
        let study = ["sweep"] + Self.tiny + ["--extra-wafers", "1", "--batches", "1,2"]
        let loud = try CLI.run(study, environment: ["WAFERMAP_PROGRESS_AFTER": "0"])
        #expect(loud.stderr.contains("wafermap sweep: config 1 of 2: model precision, slot searched, batch 1, wafers auto..."), "\(loud.stderr)")
        let quiet = try CLI.run(study)
        #expect(quiet.stdout == loud.stdout)
        // Off a terminal with the default quiet period (1 s for a study; CLI.run turns the heartbeat
        // off unless told): a run that took well
        // over a second has said where it was. (Timing-dependent only in the direction that
        // cannot fail falsely: a fast run asserts nothing.)
        let start = Date()
        let long = try CLI.run(["sweep"] + Self.tiny + ["--extra-wafers", "2", "--precision", "bf16,fp8_e4m3,fp16", "--batches", "1,2", "--contexts", "1024,8192"],
                                environment: ["WAFERMAP_PROGRESS_AFTER": ""])  // not a number: the command's own default
        if Date().timeIntervalSince(start) > 2.5 { #expect(long.stderr.contains("wafermap sweep: config "), "\(long.stderr)") }
    }

    static func temporaryDirectory() throws -> URL {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("wafermap-sweep-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        return directory
    }
}
