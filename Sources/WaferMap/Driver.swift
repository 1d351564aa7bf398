import WaferFrontend
import WaferIR
import WaferPasses
import WaferSupport
import WaferYAML

/// What the front half of the pipeline produces: the IR after every front-half pass, the
/// model's statistics and the wall time of each step.
public struct FrontHalfResult: Sendable {
    public var graph: Graph
    public var statistics: ModelStatistics
    public var timings: [StepTiming]
}

/// Assembles pipelines from the stages and returns result values; the CLI only prints them.
public enum Driver {
    /// Model file -> front end -> front-half passes -> statistics.
    ///
    /// Instrumentation dumps go to `dump` as they are taken; the importer's warnings (a part of a
    /// config.json that could not be counted) to `warn`. Unknown pass names in the
    /// instrumentation are rejected before any work.
    public static func frontHalf(modelPath: String, instrumentation: PassInstrumentation = PassInstrumentation(),
                                 warn: (Diagnostic) -> Void = { _ in },
                                 dump: (IRDump) -> Void = { _ in }) throws(DiagnosticError) -> FrontHalfResult {
        for name in instrumentation.printBefore.sorted() { try PassRegistry.validate(name, flag: "--print-ir-before") }
        for name in instrumentation.printAfter.sorted() { try PassRegistry.validate(name, flag: "--print-ir-after") }
        let clock = ContinuousClock()
        let start = clock.now
        var graph = try ModelLoader.load(path: modelPath, warn: warn)
        var timings = [StepTiming(name: "front end (parse, lower, verify)", seconds: (clock.now - start).seconds)]
        let manager = PassManager(passes: PassRegistry.frontHalf, instrumentation: instrumentation)
        timings += try manager.run(&graph, dump: dump)
        let statsStart = clock.now
        let statistics: ModelStatistics
        do {
            statistics = try graph.statistics()
        } catch {
            throw .error(ModelFailure.overflow, "the model's total \(error.what) overflow 64-bit integers", at: .startOf(modelPath))
        }
        timings.append(StepTiming(name: "statistics", seconds: (clock.now - statsStart).seconds))
        return FrontHalfResult(graph: graph, statistics: statistics, timings: timings)
    }
}

extension Driver {
    /// The textual IR of `graph` (see docs/ir.md).
    public static func printIR(_ graph: Graph, expandLayers: Bool) -> String {
        IRPrinter(expandLayers: expandLayers).print(graph)
    }
}
