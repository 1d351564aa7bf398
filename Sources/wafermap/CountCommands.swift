import ArgumentParser
import Foundation
import WaferFrontend
import WaferMap
import WaferReport
import WaferPasses
import WaferSupport
import WaferTarget

/// Target, deployment and defect flags shared by `ir` and `count`.
struct DeploymentFlags: ParsableArguments {
    @Option(help: "Target: a built-in name (wse3, wse2, small32, small64) or a target YAML file.")
    var target: String = BuiltinTargets.defaultName

    @Option(help: ArgumentHelp("Kernel profile replacing the target's default: a built-in name (production-wse3, launch-wse3, waferllm-wse2) or a kernel profile YAML file (docs/performance-model.md).", valueName: "profile"))
    var kernels: String?

    @Option(help: ArgumentHelp("Storage precision(s) replacing the model's policy, comma-separated: fp32, bf16, fp16, fp8, int8, int4, mxfp4, or canonical text such as 'fp8_e4m3[block=128x128,scale=fp32]'.", valueName: "list"))
    var precision: String?

    @Option(help: "Tokens of context per sequence kept in the KV cache.")
    var context: Int = 8192

    @Option(help: "Sequences decoded together in one pass (the micro-batch), each with its own KV cache.")
    var batch: Int = 1

    @Option(help: ArgumentHelp("KV caches to place: the sequences the deployment keeps resident, taking turns in the pipeline --batch at a time (default: --batch).", valueName: "n"))
    var sequences: Int?

    @Option(name: .customLong("kv-precision"), help: "Element type of the KV cache: fp32, bf16, fp16, fp8_e4m3, fp8_e5m2.")
    var kvPrecision: String = "bf16"

    @Option(help: "Wafer count: 'auto' (the fewest that fit) or a number.")
    var wafers: String = "auto"

    @Option(help: "A defect-map YAML file (see docs/defect-format.md).")
    var defects: String?

    @Option(name: .customLong("defect-rate"), help: "Generate defects: the probability a PE is dead (e.g. 0.001).")
    var defectRate: Double?

    @Option(help: "Seed for generated defects and the placement optimiser.")
    var seed: UInt64 = 1

    @Flag(help: "Generated defects come in clusters (Neyman-Scott process) instead of uniformly.")
    var clustered = false

    @Option(help: ArgumentHelp("Hardware repair of defects: 'spare-rows' (the target's spare rows absorb what they can; the default when the target has 'redundancy:') or 'none' (every defect lands on the logical fabric). docs/redundancy.md.", valueName: "mode"))
    var repair: String?

    @Option(help: ArgumentHelp("Fix the slot size instead of searching it: P (a P x P square, WaferLLM's mapping) or WxH, in PEs.", valueName: "size"))
    var slot: String?

    @Option(help: ArgumentHelp("Prompt length for the time-to-first-token estimate (default: the context).", valueName: "tokens"))
    var prompt: Int?

    @Option(help: ArgumentHelp("Also estimate speculative decoding with this draft: a model file (YAML or config.json), 'eagle' (a one-layer EAGLE head) or 'auto' (the model's MTP layer, else a smaller model of its family beside it, else an EAGLE head).", valueName: "draft"))
    var speculative: String?

    @Option(name: .customLong("draft-tokens"), help: ArgumentHelp("Tokens drafted per pass with --speculative (default: per draft kind, docs/performance-model.md).", valueName: "k"))
    var draftTokens: Int?

    @Option(name: .customLong("acceptance-rate"), help: ArgumentHelp("Probability each drafted token is accepted, 0 < a < 1 (default: per draft kind).", valueName: "a"))
    var acceptanceRate: Double?
    @Option(help: ArgumentHelp("Threads for per-wafer work (routing, the executor's checks); default: the processor count. Outputs are byte-identical whatever the count.", valueName: "n"))
    var threads: Int?

    /// The flags as the library's `DeploymentArguments`, which checks them.
    var arguments: DeploymentArguments {
        var a = DeploymentArguments()
        a.target = target; a.kernels = kernels; a.precision = precision; a.context = context; a.batch = batch; a.sequences = sequences; a.kvPrecision = kvPrecision
        a.wafers = wafers; a.defects = defects; a.defectRate = defectRate; a.seed = seed; a.clustered = clustered; a.repair = repair
        a.slot = slot; a.prompt = prompt
        a.speculative = speculative; a.draftTokens = draftTokens; a.acceptanceRate = acceptanceRate; a.threads = threads
        return a
    }

    func request(model: String) throws(DiagnosticError) -> CountRequest { try arguments.countRequest(model: model) }

    /// Runs the pipeline for `model` with these flags and `pipeline`'s instrumentation, printing
    /// IR dumps to stderr as they are taken (but those `dumpFilter` returns false for), then
    /// `render`'s text to stdout and, with `--timing`, the first result's step timings (every
    /// result's with `everyTiming`) to stderr.
    @discardableResult
    func run(model: String, pipeline: PipelineFlags, through lastPass: String = "schedule", everyTiming: Bool = false,
             dumpFilter: (IRDump) -> Bool = { _ in true }, render: (CountReport) -> String) throws(DiagnosticError) -> CountReport {
        var request = try request(model: model)
        request.instrumentation = pipeline.instrumentation
        request.passOptions = try pipeline.passOptions.resolve()
        if let stop = pipeline.stopAfter { try PassRegistry.validate(stop, flag: "--stop-after") }
        request.lastPass = pipeline.stopAfter ?? lastPass
        let report = try Driver.count(request, dump: { dump in if dumpFilter(dump) { writeStderr(dump.rendered) } })
        writeStdout(render(report))
        if pipeline.timing {
            for result in everyTiming ? report.results : Array(report.results.prefix(1)) { writeStderr(TimingReport.render(result.timings)) }
        }
        return report
    }
}

struct CountCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "count",
        abstract: "How many wafers a model needs, and what each one holds.")

    @Argument(help: "The model: a model description (YAML) or a Hugging Face config.json.")
    var model: String

    @OptionGroup var deployment: DeploymentFlags

    @Option(help: "Output format: table or json.")
    var format: StatsCommand.Format = .table

    @Flag(help: "Also route and schedule a decode step, and print the predicted tokens/s and its breakdown.")
    var perf = false

    @OptionGroup var pipeline: PipelineFlags

    func run() throws {
        try runReportingErrors { () throws(DiagnosticError) in
            try deployment.run(model: model, pipeline: pipeline, through: perf ? "schedule" : "place") { format == .json ? $0.json() : $0.table() }
        }
    }
}

struct PlaceCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "place",
        abstract: "Tile, place, route and schedule a model; print the placement, routing and decode-latency quality report.")

    @Argument(help: "The model: a model description (YAML) or a Hugging Face config.json.")
    var model: String

    @OptionGroup var deployment: DeploymentFlags

    @Option(help: "Output format: table or json.")
    var format: StatsCommand.Format = .table

    @OptionGroup var pipeline: PipelineFlags

    func run() throws {
        try runReportingErrors { () throws(DiagnosticError) in
            try deployment.run(model: model, pipeline: pipeline) { $0.placementQuality(json: format == .json) }
        }
    }
}

struct BenchCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench",
        abstract: "Time every pipeline step and record peak memory (use a release build).",
        discussion: """
        With MODEL arguments: each model compiled once in this process with the deployment flags \
        (0.1% clustered defects unless a defect flag is given), one row per step. Without: a case \
        set (the goal cases, or --scaling's model-size x defect-rate grid), each case run --runs \
        times in a fresh process, whole-process medians (docs/performance.md).
        """)

    @Argument(help: "Model files; none runs the built-in case set.")
    var models: [String] = []

    @OptionGroup var deployment: DeploymentFlags

    @Option(help: "Output format: table or json.")
    var format: StatsCommand.Format = .table

    @Flag(help: "Stop after the passes (no plan, no executor): the pipeline alone.")
    var passesOnly = false

    @Flag(help: "Without MODEL: run the scaling grid (8B, 70B, 405B, Kimi K2, 2x Kimi x no defects, 0.1% and 1% clustered, 0.1% as holes).")
    var scaling = false

    @Option(help: "Without MODEL: runs of each case (each a fresh process); medians are reported.")
    var runs = 3

    @OptionGroup var passOptions: PassOptionFlags

    func run() throws {
        try runReportingErrors { () throws(DiagnosticError) in
            guard !models.isEmpty else { return try runSet() }
            if scaling { throw .error(DriverFailure.flagConflict, "--scaling runs the built-in grid: give no model with it", at: nil) }
            let flags = deployment.arguments.withBenchmarkDefects()
            var rows: [BenchmarkRow] = []
            for model in models {
                var request = try flags.countRequest(model: model)
                request.passOptions = try passOptions.resolve()
                if passesOnly {
                    let report = try Driver.count(request)
                    if let result = report.results.first { rows.append(BenchmarkRow(model: model, target: report.target.name, result: result)) }
                    continue
                }
                rows.append(try Driver.benchmarkCompile(request, model: model))
            }
            writeStdout(format == .json ? BenchmarkRow.json(rows) : BenchmarkRow.table(rows, defects: flags.defectsLabel))
        }
    }

    /// The built-in case set, each run in a child process of this binary (`BenchmarkRunner`).
    func runSet() throws(DiagnosticError) {
        let d = deployment.arguments
        if d.defects != nil || d.defectRate != nil || d.clustered || d.repair != nil || d.context != 8192 || d.batch != 1 || d.wafers != "auto"
            || d.target != BuiltinTargets.defaultName || d.precision != nil || d.slot != nil || !passOptions.assignments.isEmpty || !passOptions.files.isEmpty {
            throw .error(DriverFailure.flagConflict, "the built-in case set fixes each case's flags: give MODEL to benchmark with your own", at: nil)
        }
        var extra = passesOnly ? ["--passes-only"] : []
        if let threads = d.threads { extra += ["--threads", "\(threads)"] }
        let cases = scaling ? BenchmarkSets.scaling : BenchmarkSets.standard
        let summaries = try withProgress { progress throws(DiagnosticError) in
            try BenchmarkRunner.run(cases, runs: runs, executable: BenchmarkRunner.executablePath(), extra: extra, progress: progress)
        }
        writeStdout(format == .json ? BenchmarkSummary.json(summaries) : BenchmarkSummary.table(summaries))
    }
}

struct DefectsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "defects",
        abstract: "Generate and check defect maps; sweep what defects cost a model.",
        subcommands: [Generate.self, Check.self, Cost.self])

    /// `wafermap defects cost MODEL` (docs/redundancy.md).
    struct Cost: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Map a model at a ladder of defect rates (uniform and clustered, nested maps from one seed) and print what the defects cost.")

        @Argument(help: "The model (YAML or config.json).")
        var model: String
        @Option(help: "Target: a built-in name or a target YAML file.")
        var target: String = BuiltinTargets.defaultName
        @Option(help: ArgumentHelp("Kernel profile replacing the target's default.", valueName: "profile"))
        var kernels: String?
        @Option(help: ArgumentHelp("Storage precision replacing the model's policy (the first of a list is swept).", valueName: "format"))
        var precision: String?
        @Option(help: "Tokens of context per sequence kept in the KV cache.")
        var context: Int = 8192
        @Option(help: "Sequences decoded together.")
        var batch: Int = 1
        @Option(help: "Seed for the defect maps (nested across rates) and the placement optimiser.")
        var seed: UInt64 = 1
        @Option(help: ArgumentHelp("'spare-rows' (default on a target with 'redundancy:') or 'none'.", valueName: "mode"))
        var repair: String?
        @Option(help: ArgumentHelp("Comma-separated dead-PE rates (default 0,0.0001,0.0005,0.001,0.005,0.01,0.02).", valueName: "list"))
        var rates: String?
        @Option(help: "Output: text or json.")
        var format: String = "text"
        @Option(help: ArgumentHelp("Also draw tokens/s per user against the defect rate as SVG here, one line per defect model.", valueName: "file"))
        var svg: String?

        func run() throws {
            try runReportingErrors { () throws(DiagnosticError) in
                let output = try OutputFormat(flag: format)
                if let svg, let problem = OutputPaths.problem(outputs: [.init(path: svg, flag: "--svg")], inputs: [model]) {
                    throw .error(DriverFailure.outputPath, problem, at: nil)
                }
                var a = DeploymentArguments()
                a.target = target; a.kernels = kernels; a.precision = precision; a.context = context; a.batch = batch; a.seed = seed; a.repair = repair
                var list: [Double]?
                if let rates {
                    let items = rates.split(separator: ",").map { Double($0.trimmingCharacters(in: .whitespaces)) }
                    guard !items.isEmpty, items.allSatisfy({ $0 != nil }) else { throw .error(DriverFailure.flagValue, "--rates must be comma-separated numbers, not '\(rates)'", at: nil) }
                    list = items.compactMap { $0 }
                }
                let report = try Driver.defectCost(model: model, arguments: a, rates: list, progress: { writeStderr($0 + "\n") })
                if let svg { try writeAtomically(report.svg(), to: svg) }
                writeStdout(output == .json ? report.json() : report.table())
            }
        }
    }

    struct Generate: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Draw a reproducible defect map.")

        @Option(help: "Target: a built-in name or a target YAML file.")
        var target: String = BuiltinTargets.defaultName
        @Option(help: "Wafers in the system.")
        var wafers: Int
        @Option(help: "Probability that a PE is dead.")
        var rate: Double
        @Option(name: .customLong("link-rate"), help: "Probability that a link is dead (default: rate / 10).")
        var linkRate: Double?
        @Option(help: "Random seed; the same seed gives the same map.")
        var seed: UInt64 = 1
        @Flag(help: "Clustered defects (Neyman-Scott cluster process) instead of uniform ones.")
        var clustered = false
        @Option(name: .customLong("cluster-size"), help: "Mean dead PEs per cluster (with --clustered).")
        var clusterSize: Double = 8
        @Option(name: .customLong("cluster-radius"), help: "Standard deviation of a cluster's spread, in PEs (with --clustered).")
        var clusterRadius: Double = 1.5
        @Option(help: ArgumentHelp("'spare-rows' (default on a target with 'redundancy:'): a version 2 map in physical coordinates; 'none': a version 1 map on the logical fabric.", valueName: "mode"))
        var repair: String?
        @Option(name: .shortAndLong, help: "Output file.")
        var output: String

        func run() throws {
            try runReportingErrors { () throws(DiagnosticError) in
                let inputs = FileManager.default.fileExists(atPath: target) ? [target] : []
                if let problem = OutputPaths.problem(outputs: [.init(path: output, flag: "-o")], inputs: inputs) { throw .error(DriverFailure.outputPath, problem, at: nil) }
                let text = try Driver.generateDefects(target: target, wafers: wafers, rate: rate, linkRate: linkRate, seed: seed,
                                                      clustering: clustered ? .init(meanClusterSize: clusterSize, clusterRadius: clusterRadius) : nil,
                                                      repair: repair)
                do throws(AtomicFile.WriteError) {
                    try AtomicFile.write(text.yaml, to: output)
                } catch {
                    throw .error(DriverFailure.write, error.description, at: nil)
                }
                writeStdout("wrote \(output): \(text.summary)\n")
            }
        }
    }

    struct Check: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Validate a defect map and summarise it per wafer.")

        @Argument(help: "The defect map (YAML).")
        var file: String
        @Option(help: "Target: a built-in name or a target YAML file.")
        var target: String = BuiltinTargets.defaultName

        func run() throws {
            try runReportingErrors { () throws(DiagnosticError) in
                writeStdout(try Driver.checkDefects(path: file, target: target))
            }
        }
    }
}

struct TargetsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "targets",
        abstract: "List the built-in targets, or print one as YAML.")

    @Argument(help: "A built-in target to print in full.")
    var name: String?

    func run() throws {
        try runReportingErrors { () throws(DiagnosticError) in
            writeStdout(try Driver.describeTargets(name))
        }
    }
}

struct ImportCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "import",
        abstract: "Write the model description of a Hugging Face config.json.",
        discussion: """
        Reads llama, mistral, mixtral, qwen2, qwen3, qwen3_moe, deepseek_v3, kimi_k2, kimi_k25, gpt_oss and \
        glm4_moe configurations, including quantization_config (block fp8, compressed-tensors int4/int8, mxfp4). \
        Comments in the output say which config field each value came from. stats, count and compile also \
        take a config.json directly.
        """)

    @Argument(help: "The Hugging Face config.json.")
    var config: String

    @Option(name: [.short, .customLong("output")], help: "Write the YAML here (atomically) instead of standard output.")
    var output: String?

    @Option(help: "The model's name (default: the config's directory name).")
    var name: String?

    @Flag(name: .customLong("text-only"), help: "Leave a multimodal model's vision tower out of the counts entirely.")
    var textOnly = false

    func run() throws {
        try runReportingErrors { () throws(DiagnosticError) in
            let result = try Driver.importConfig(path: config, output: output,
                                                 options: HFImporter.Options(name: name, textOnly: textOnly))
            for warning in result.importWarnings { writeStderr(warning.description + "\n") }
            writeStdout(result.output)
        }
    }
}
