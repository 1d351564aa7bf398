import ArgumentParser
import Foundation
import WaferMap
import WaferReport
import WaferStudy
import WaferSupport

/// `wafermap yield MODEL --maps N --defect-rate R`: what defects cost over many maps (docs/studies.md).
struct YieldCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "yield",
        abstract: "Compile a model on N defect maps drawn at a rate; report the fraction that fit on the nominal wafer count, the extra wafers the rest need, and the spread of tokens/s.",
        discussion: """
        Map i uses the seed of stream i of --seed (docs/studies.md), so it is the same map whether the study runs whole or \
        in shards (--shard K/N -o PART, then 'wafermap merge'). Output is byte-identical whatever --threads.
        """)

    @Argument(help: "The model: a model description (YAML) or a Hugging Face config.json.")
    var model: String

    @Option(help: ArgumentHelp("Defect maps to draw and compile (1 to 100,000).", valueName: "n"))
    var maps: Int

    @OptionGroup var deployment: DeploymentFlags

    @OptionGroup var passOptions: PassOptionFlags

    @Option(help: "Output format: table or json.")
    var format: StatsCommand.Format = .table

    @Option(help: ArgumentHelp("Also write the histogram of tokens/s as SVG here (whole runs; for shards, 'wafermap merge --svg').", valueName: "file"))
    var svg: String?

    @OptionGroup var shardFlags: ShardFlags

    func run() throws {
        try runReportingErrors { () throws(DiagnosticError) in
            let shard = try shardFlags.spec()
            if shard != nil, svg != nil {
                throw .error(DriverFailure.flagConflict, "--svg draws the whole study: give it to 'wafermap merge PART... --svg FILE', not to a shard", at: nil)
            }
            let outputs = [shardFlags.output.map { OutputPaths.Output(path: $0, flag: "-o") }, svg.map { OutputPaths.Output(path: $0, flag: "--svg") }].compactMap { $0 }
            if let problem = OutputPaths.problem(outputs: outputs, inputs: [model]) { throw .error(DriverFailure.outputPath, problem, at: nil) }
            guard let rate = deployment.defectRate else {
                throw .error(DriverFailure.flagValue, "yield needs --defect-rate R: the probability a PE is dead (e.g. 0.001)", at: nil)
            }
            var request = YieldRequest(model: model, arguments: deployment.arguments, defectRate: rate)
            request.arguments.defectRate = nil
            request.passOptions = try passOptions.resolve()
            (request.maps, request.clustered, request.seed) = (maps, deployment.clustered, deployment.seed)
            request.format = format == .json ? .json : .table
            request.shard = shard ?? .whole
            let partial = try withProgress { progress throws(DiagnosticError) in try YieldStudy.run(request, progress: progress) }
            if shard != nil, let output = shardFlags.output { return try partial.write(to: output) }
            let report = try YieldStudy.report(of: partial)
            if let svg { try writeAtomically(report.histogramSVG(), to: svg) }
            if let output = shardFlags.output { try writeAtomically(report.rendered(), to: output) } else { writeStdout(report.rendered()) }
        }
    }
}

/// Writes `text` to `path` atomically, a failure as `driver.write`.
func writeAtomically(_ text: String, to path: String) throws(DiagnosticError) {
    do throws(AtomicFile.WriteError) { try AtomicFile.write(text, to: path) } catch { throw .error(DriverFailure.write, error.description, at: nil) }
}
