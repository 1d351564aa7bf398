import ArgumentParser
import Foundation
import WaferFrontend
import WaferMap
import WaferPerf
import WaferReport
import WaferPasses
import WaferSupport
import WaferTarget

/// Target, deployment and defect flags shared by `ir` and `count`.
struct DeploymentFlags: ParsableArguments {
    @Option(help: "Target: a built-in name (wse3, wse2, small32, small64) or a target YAML file.")
    var target: String = BuiltinTargets.defaultName

    @Option(help: ArgumentHelp("Storage precision(s) replacing the model's policy, comma-separated: fp32, bf16, fp16, fp8, int8, int4, mxfp4, or canonical text such as 'fp8_e4m3[block=128x128,scale=fp32]'.", valueName: "list"))
    var precision: String?

    @Option(help: "Tokens of context per sequence kept in the KV cache.")
    var context: Int = 8192

    @Option(help: "Sequences decoded together, each with its own KV cache.")
    var batch: Int = 1

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

    @Option(help: ArgumentHelp("Fix the slot size instead of searching it: P (a P x P square, WaferLLM's mapping) or WxH, in PEs.", valueName: "size"))
    var slot: String?

    @Option(help: ArgumentHelp("Prompt length for the time-to-first-token estimate (default: the context).", valueName: "tokens"))
    var prompt: Int?

    /// Runs the pipeline for `model` with these flags and `pipeline`'s instrumentation, printing
    /// IR dumps to stderr as they are taken.
    /// `dumpFilter` drops the dumps it returns false for.
    func run(model: String, pipeline: PipelineFlags, through lastPass: String = "schedule",
             dumpFilter: (IRDump) -> Bool = { _ in true }) throws(DiagnosticError) -> CountReport {
        var request = try request(model: model)
        request.instrumentation = pipeline.instrumentation
        if let stop = pipeline.stopAfter { try PassRegistry.validate(stop, flag: "--stop-after") }
        request.lastPass = pipeline.stopAfter ?? lastPass
        return try Driver.count(request, dump: { dump in if dumpFilter(dump) { writeStderr(dump.rendered) } })
    }

    func request(model: String) throws(DiagnosticError) -> CountRequest {
        var request = CountRequest(modelPath: model)
        request.target = target
        if let precision {
            var formats: [NumberFormat] = []
            let items = FormatDecoder.splitList(precision)
            // Each format is a whole pipeline run: a list of thousands would run for minutes.
            if items.count > 64 { throw .error("--precision lists \(items.count) formats; give at most 64", at: nil) }
            for item in items.map({ $0.trimmingCharacters(in: .whitespaces) }) {
                if item.isEmpty { throw .error("--precision: empty item in the list '\(precision)'", at: nil) }
                guard let format = FormatDecoder.parse(item) else {
                    var notes: [Diagnostic] = []
                    if let s = Suggest.closest(to: item, in: FormatDecoder.names) { notes.append(.note("did you mean '\(s)'?")) }
                    notes.append(.note("precisions: \(FormatDecoder.names.joined(separator: ", "))"))
                    throw .error("--precision: unknown precision '\(item)'", at: nil, notes: notes)
                }
                formats.append(format)
            }
            request.precisions = formats
        }
        guard let kv = ElementType(rawValue: kvPrecision == "fp8" ? "fp8_e4m3" : kvPrecision), kv.bits >= 8, kv != .int8 else {
            throw .error("--kv-precision must be fp32, bf16, fp16, fp8_e4m3 or fp8_e5m2, not '\(kvPrecision)'", at: nil)
        }
        var count = WaferCount.auto
        if wafers != "auto" {
            guard let n = Int(wafers) else { throw .error("--wafers must be 'auto' or a number, not '\(wafers)'", at: nil) }
            count = .exactly(n)
        }
        var shape: SlotShape?
        if let slot {
            guard let parsed = SlotShape(parsing: slot) else { throw .error("--slot must be P or WxH in PEs (1 to 100,000 each), not '\(slot)'", at: nil) }
            shape = parsed
        }
        request.deployment = DeploymentOptions(contextTokens: context, batch: batch, kvElement: kv, wafers: count, seed: seed, slot: shape,
                                               promptTokens: prompt)
        if let prompt, prompt < 1 || prompt > context {
            throw .error("--prompt must be between 1 and the context (\(context) tokens), not \(prompt)", at: nil)
        }
        if defects != nil && defectRate != nil {
            throw .error("give either --defects FILE or --defect-rate R, not both", at: nil)
        }
        if let defects { request.defects = .file(defects) }
        if let defectRate { request.defects = .generate(rate: defectRate, seed: seed, clustered: clustered) }
        return request
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
            let report = try deployment.run(model: model, pipeline: pipeline, through: perf ? "schedule" : "place")
            writeStdout(format == .json ? report.json() : report.table())
            if pipeline.timing, let first = report.results.first { writeStderr(TimingReport.render(first.timings)) }
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
            let report = try deployment.run(model: model, pipeline: pipeline)
            for result in report.results {
                guard let quality = PlacementQuality(graph: result.graph, target: report.target, defects: report.defects,
                                                          promptTokens: report.deployment.promptTokens) else { continue }
                writeStdout(format == .json ? quality.json() : quality.table())
            }
            if pipeline.timing, let first = report.results.first { writeStderr(TimingReport.render(first.timings)) }
        }
    }
}

struct BenchCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench",
        abstract: "Time every pipeline step and record peak memory on benchmark models (use a release build).")

    @Argument(help: "Model files (default: tiny, Llama-3.1-70B and Kimi K2 from examples/models).")
    var models: [String] = ["examples/models/tiny.yaml", "examples/models/llama-3.1-70b.yaml", "examples/models/kimi-k2.yaml"]

    @OptionGroup var deployment: DeploymentFlags

    @Option(help: "Output format: table or json.")
    var format: StatsCommand.Format = .table

    @Flag(help: "Stop after the passes (no plan, no executor): the pipeline alone.")
    var passesOnly = false

    func run() throws {
        try runReportingErrors { () throws(DiagnosticError) in
            var flags = deployment
            if flags.defects == nil && flags.defectRate == nil { flags.defectRate = 0.001; flags.clustered = true }
            var rows: [BenchmarkRow] = []
            for model in models {
                let request = try flags.request(model: model)
                if passesOnly {
                    let report = try Driver.count(request)
                    if let result = report.results.first { rows.append(BenchmarkRow(model: model, target: report.target.name, result: result)) }
                    continue
                }
                rows.append(try Driver.benchmarkCompile(request, model: model))
            }
            writeStdout(format == .json ? BenchmarkRow.json(rows) : BenchmarkRow.table(rows, defects: flags.defectRate.map { "\(Units.decimal($0)) clustered=\(flags.clustered) seed \(flags.seed)" } ?? (flags.defects ?? "none")))
        }
    }
}

struct DefectsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "defects",
        abstract: "Generate and check defect maps.",
        subcommands: [Generate.self, Check.self])

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
        @Option(name: .shortAndLong, help: "Output file.")
        var output: String

        func run() throws {
            try runReportingErrors { () throws(DiagnosticError) in
                let inputs = FileManager.default.fileExists(atPath: target) ? [target] : []
                if let problem = OutputPaths.problem(outputs: [.init(path: output, flag: "-o")], inputs: inputs) { throw .error(problem, at: nil) }
                let text = try Driver.generateDefects(target: target, wafers: wafers, rate: rate, linkRate: linkRate, seed: seed,
                                                      clustering: clustered ? .init(meanClusterSize: clusterSize, clusterRadius: clusterRadius) : nil)
                do throws(AtomicFile.WriteError) {
                    try AtomicFile.write(text.yaml, to: output)
                } catch {
                    throw .error(error.description, at: nil)
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

struct SweepCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sweep",
        abstract: "Compile a model's mappings across wafer counts, slot sizes and precisions; rank them by tokens/s and mark the Pareto front.")

    @Argument(help: "The model: a model description (YAML) or a Hugging Face config.json.")
    var model: String

    @OptionGroup var deployment: DeploymentFlags

    @Option(name: .customLong("extra-wafers"), help: "Wafer counts to try beyond the fewest that fit.")
    var extraWafers: Int = 3

    @Option(help: ArgumentHelp("Fixed slot sizes to try besides the searched grid, comma-separated (P or WxH).", valueName: "list"))
    var slots: String?

    @Option(help: "Rows to print (Pareto rows are always printed).")
    var top: Int = 10

    @Option(help: "Output format: table or json.")
    var format: StatsCommand.Format = .table

    func run() throws {
        try runReportingErrors { () throws(DiagnosticError) in
            var request = SweepRequest(count: try deployment.request(model: model))
            request.extraWafers = extraWafers
            request.top = top
            if deployment.slot != nil { throw .error("sweep tries slot sizes itself: give them with --slots, not --slot", at: nil) }
            for item in (slots ?? "").split(separator: ",").map({ $0.trimmingCharacters(in: .whitespaces) }) where !item.isEmpty {
                guard let shape = SlotShape(parsing: item) else { throw .error("--slots: '\(item)' is not P or WxH in PEs", at: nil) }
                request.slots.append(shape)
            }
            let progress = processProgress
            let report = try Driver.sweep(request, progress: { progress($0) })
            progress.finish()
            writeStdout(format == .json ? report.json() : report.text(top: top))
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
            for warning in result.warnings {
                // `import` is the command with --text-only: say how to leave the tower out on purpose.
                var shown = warning
                shown.notes.append(.note("--text-only leaves the vision tower out without this warning"))
                writeStderr(shown.description + "\n")
            }
            if let path = result.outputPath {
                let s = result.statistics
                var line = "wrote \(path): \(Units.grouped(s.totalParameters)) parameters (\(Units.shortCount(s.totalParameters))), "
                line += "\(Units.grouped(s.activeParameters)) active, \(Units.gigabytes(s.weightBytes)) of weights"
                for module in result.unmapped {
                    line += "; not mapped: \(module.name) \(Units.grouped(module.parameters)) parameters"
                }
                writeStdout(line + "\n")
            } else {
                writeStdout(result.yaml)
            }
        }
    }
}
