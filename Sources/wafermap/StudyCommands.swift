import ArgumentParser
import Foundation
import WaferMap
import WaferReport
import WaferPasses
import WaferStudy
import WaferSupport

/// `--shard K/N` and `-o`: what every shardable study takes (docs/studies.md).
struct ShardFlags: ParsableArguments {
    @Option(help: ArgumentHelp("Run one deterministic slice of the study, K of N, and write its partial result to -o (merge the N parts with 'wafermap merge').", valueName: "K/N"))
    var shard: String?

    @Option(name: [.short, .customLong("output")], help: ArgumentHelp("Write the output here (atomically) instead of standard output; with --shard, the partial result.", valueName: "file"))
    var output: String?

    /// The parsed shard, or nil for the whole study; a shard needs `-o`.
    func spec() throws(DiagnosticError) -> ShardSpec? {
        guard let shard else { return nil }
        let spec = try ShardSpec(parsing: shard)
        if output == nil { throw .error(DriverFailure.flagConflict, "--shard \(shard) writes a partial result: give it a file with -o", at: nil) }
        return spec
    }
}

extension SweepFormat: ExpressibleByArgument {}

struct SweepCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sweep",
        abstract: "Compile a model's mappings across wafer counts, slot sizes, precisions, batches and contexts; rank them and mark the Pareto front.",
        discussion: """
        Rows are ranked by tokens/s per user. The Pareto front (*) is over tokens/s per user (max), aggregate tokens/s per \
        wafer (max) and wafers (min). --shard K/N -o PART runs one slice; 'wafermap merge' combines the parts into exactly \
        the output of the unsharded run with -o (docs/cli.md, "sweep").
        """)

    @Argument(help: "The model: a model description (YAML) or a Hugging Face config.json.")
    var model: String

    @OptionGroup var deployment: DeploymentFlags

    @Option(name: .customLong("extra-wafers"), help: "Wafer counts to try beyond the fewest that fit (0-64).")
    var extraWafers: Int = 3

    @Option(help: ArgumentHelp("Fixed slot sizes to try besides the searched grid, comma-separated (P or WxH).", valueName: "list"))
    var slots: String?

    @Option(help: ArgumentHelp("Batch sizes to try, comma-separated (at most 16, each 1-1,048,576); replaces --batch.", valueName: "list"))
    var batches: String?

    @Option(help: ArgumentHelp("Context lengths in tokens to try, comma-separated (at most 16, each 1-1,073,741,824); replaces --context.", valueName: "list"))
    var contexts: String?

    @Option(help: "Rows to print in the table (Pareto rows are always printed; JSON and CSV hold every row).")
    var top: Int = 10

    @Option(parsing: .singleValue, help: ArgumentHelp("Vary an algorithm knob: SECTION.KNOB=V1,V2,... (list knobs: values separated by '/'). One row per value; several --vary cross.", valueName: "key=values"))
    var vary: [String] = []

    @OptionGroup var passOptions: PassOptionFlags

    @Option(help: "Output format: table, json or csv.")
    var format: SweepFormat = .table

    @Option(help: ArgumentHelp("Also draw tokens/s per user against wafers as SVG here, the Pareto front joined (whole runs; for shards, 'wafermap merge --svg').", valueName: "file"))
    var svg: String?

    @OptionGroup var shardFlags: ShardFlags

    func run() throws {
        try runReportingErrors { () throws(DiagnosticError) in
            if shardFlags.shard != nil, svg != nil {
                throw .error(DriverFailure.flagConflict, "--svg draws the whole sweep: give it to 'wafermap merge PART... --svg FILE', not to a shard", at: nil)
            }
            var request = try SweepRequest(count: try deployment.request(model: model), fixedSlot: deployment.slot, slots: slots,
                                           extraWafers: extraWafers, top: top, batches: batches, contexts: contexts, format: format)
            request.count.passOptions = try passOptions.resolve()
            for item in vary { request.variations.append(try PassOptionVariation(parsing: item)) }
            let shard = try shardFlags.spec()
            let outputs = [shardFlags.output.map { OutputPaths.Output(path: $0, flag: "-o") }, svg.map { OutputPaths.Output(path: $0, flag: "--svg") }].compactMap { $0 }
            if let problem = OutputPaths.problem(outputs: outputs, inputs: [model]) {
                throw .error(DriverFailure.outputPath, problem, at: nil)
            }
            if let shard, let output = shardFlags.output {
                let partial = try withProgress { progress throws(DiagnosticError) in try Driver.sweepPartial(request, shard: shard, progress: progress) }
                try partial.write(to: output)
                return
            }
            let report = try withProgress { progress throws(DiagnosticError) in try Driver.sweep(request, progress: progress) }
            let text = report.render()
            if let svg { try writeAtomically(report.svg(), to: svg) }
            if let output = shardFlags.output {
                do throws(AtomicFile.WriteError) { try AtomicFile.write(text, to: output) } catch { throw .error(DriverFailure.write, error.description, at: nil) }
            } else {
                writeStdout(text)
            }
        }
    }
}

struct MergeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "merge",
        abstract: "Merge the partial results of a sharded study (--shard K/N) into the output the unsharded run writes.",
        discussion: """
        The parts may come in any order; every shard 1/N ... N/N must be given once, all from one command line. \
        The merged output is byte-identical to the unsharded command's -o output (docs/studies.md).
        """)

    @Argument(help: "The partial result files.")
    var parts: [String]

    @Option(name: [.short, .customLong("output")], help: ArgumentHelp("Write the merged output here (atomically) instead of standard output.", valueName: "file"))
    var output: String?

    @Option(help: ArgumentHelp("Also draw the merged study as SVG here: what the unsharded command's --svg draws (yield's histogram, sweep's tokens/s against wafers).", valueName: "file"))
    var svg: String?

    func run() throws {
        try runReportingErrors { () throws(DiagnosticError) in
            let outputs = [output.map { OutputPaths.Output(path: $0, flag: "-o") }, svg.map { OutputPaths.Output(path: $0, flag: "--svg") }].compactMap { $0 }
            if let problem = OutputPaths.problem(outputs: outputs, inputs: parts) {
                throw .error(DriverFailure.outputPath, problem, at: nil)
            }
            let text = try StudyMerge.merge(paths: parts)
            if let svg { try writeAtomically(try StudyPlot.svg(paths: parts), to: svg) }
            if let output {
                do throws(AtomicFile.WriteError) { try AtomicFile.write(text, to: output) } catch { throw .error(DriverFailure.write, error.description, at: nil) }
            } else {
                writeStdout(text)
            }
        }
    }
}
