import ArgumentParser
import Foundation
import WaferMap
import WaferReport
import WaferStudy
import WaferSupport

struct ServeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "serve",
        abstract: "Size a deployment: users or a request rate, context and speed targets in; wafers, replicas and throughput out.",
        discussion: """
        Compiles one replica per candidate (sequences per replica x micro-batch, each on the fewest wafers holding its \
        weights and every placed KV cache), prices each under every prefill placement, and ranks the deployments that \
        meet the targets, fewest wafers first (docs/serving.md).
        """)

    @Argument(help: "The model: a model description (YAML) or a Hugging Face config.json.")
    var model: String

    @OptionGroup var deployment: DeploymentFlags

    @Option(help: "Concurrent users, each decoding with its own KV cache (default 1 unless --request-rate).")
    var users: Int?

    @Option(name: .customLong("request-rate"), help: ArgumentHelp("Requests per second instead of --users (needs --output-tokens).", valueName: "r"))
    var requestRate: Double?

    @Option(name: .customLong("prompt-tokens"), help: ArgumentHelp("New prompt tokens each request prefills (default: the context less the output).", valueName: "n"))
    var promptTokens: Int?

    @Option(name: .customLong("output-tokens"), help: ArgumentHelp("Tokens each request decodes; charges each request's prefill (default with --users: long sessions, prefill not charged).", valueName: "n"))
    var outputTokens: Int?

    @Option(name: .customLong("tokens-per-s"), help: ArgumentHelp("Slowest decode speed per user a deployment may give.", valueName: "tokens/s"))
    var tokensPerS: Double?

    @Option(name: .customLong("ttft-ms"), help: ArgumentHelp("Longest time to first token a deployment may give (checked at its lower bound).", valueName: "ms"))
    var ttftMs: Double?

    @Option(help: ArgumentHelp("Where prompts are prefilled, comma-separated: same, separate, remote:TOKENS_PER_S (default: same,separate with --output-tokens, else same).", valueName: "list"))
    var prefill: String?

    @Option(help: ArgumentHelp("Micro-batches to try, comma-separated (1 to 64).", valueName: "list"))
    var batches: String = "1,2,4,8"

    @Option(name: .customLong("max-sequences"), help: ArgumentHelp("Most sequences one replica keeps (1 to 4,096).", valueName: "n"))
    var maxSequences: Int = 256

    @Option(name: .customLong("max-wafers"), help: ArgumentHelp("Most wafers a deployment may use in all.", valueName: "n"))
    var maxWafers: Int?

    @Option(help: "Rows to print (Pareto rows are always printed).")
    var top: Int = 10

    @OptionGroup var passOptions: PassOptionFlags

    @Option(help: "Output format: table or json.")
    var format: StatsCommand.Format = .table

    @Option(help: ArgumentHelp("Also draw the deployments (tokens/s per user against wafers) as an SVG file.", valueName: "file"))
    var svg: String?

    @Option(help: ArgumentHelp("Compile the first row's replica in full into this directory: plan, report, deployment.json.", valueName: "dir"))
    var emit: String?

    func run() throws {
        try runReportingErrors { () throws(DiagnosticError) in
            let request = try makeRequest()
            let outputs = (svg.map { [OutputPaths.Output(path: $0, flag: "--svg")] } ?? []) + (emit.map { [OutputPaths.Output(path: $0, flag: "--emit", isDirectory: true)] } ?? [])
            if let problem = OutputPaths.problem(outputs: outputs, inputs: [model]) { throw .error(DriverFailure.outputPath, problem, at: nil) }
            let (report, emitted) = try withProgress { progress throws(DiagnosticError) in
                let report = try Driver.serve(request, progress: progress)
                return (report, try emit.map { dir throws(DiagnosticError) in try Driver.emitServe(report, request: request, directory: dir, progress: progress) })
            }
            if let svg {
                do throws(AtomicFile.WriteError) { try AtomicFile.write(ServePlot.svg(report), to: svg) } catch { throw .error(DriverFailure.write, error.description, at: nil) }
            }
            var text = format == .json ? report.json() : report.text(top: top, model: model)
            if let emitted, format != .json {
                text += "\nemitted     \(emitted.planPath) (\(Units.grouped(emitted.planBytes)) bytes; executor \(emitted.executorPassed ? "passed" : "FAILED"); "
                text += "\(Units.fixed(emitted.tokensPerS, digits: 1)) tokens/s per user uncontended), \(emitted.reportPath), \(emitted.deploymentPath)\n"
            }
            writeStdout(text)
        }
    }

    func makeRequest() throws(DiagnosticError) -> ServeRequest {
        let d = deployment.arguments
        if d.batch != 1 || d.sequences != nil || d.wafers != "auto" {
            throw .error(DriverFailure.flagConflict, "serve chooses the micro-batch, the sequences per replica and the wafers itself: give --batches, --max-sequences or --max-wafers instead of --batch, --sequences or --wafers", at: nil)
        }
        var request = ServeRequest(count: try deployment.request(model: model))
        request.count.passOptions = try passOptions.resolve()
        switch (users, requestRate) {
        case (.some, .some): throw .error(DriverFailure.flagConflict, "give --users or --request-rate, not both", at: nil)
        case let (nil, rate?): request.traffic = .requestRate(rate)
        case let (u, nil): request.traffic = .users(u ?? 1)
        }
        request.promptTokens = promptTokens
        request.outputTokens = outputTokens
        request.minTokensPerSPerUser = tokensPerS
        request.maxTimeToFirstTokenMs = ttftMs
        if let prefill {
            var placements: [ServeRequest.Prefill] = []
            for item in prefill.split(separator: ",").map({ $0.trimmingCharacters(in: .whitespaces) }) where !item.isEmpty {
                placements.append(try ServeRequest.Prefill(parsing: item))
            }
            request.prefill = placements
        }
        request.microBatches = []
        for item in batches.split(separator: ",").map({ $0.trimmingCharacters(in: .whitespaces) }) where !item.isEmpty {
            guard let b = Int(item) else { throw .error(DriverFailure.flagValue, "--batches: '\(item)' is not a whole number", at: nil) }
            request.microBatches.append(b)
        }
        request.maxSequencesPerReplica = maxSequences
        request.maxWafers = maxWafers
        request.top = top
        return try request.validated()
    }
}
