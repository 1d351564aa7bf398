import WaferIR
import WaferPasses
import WaferPerf
import WaferSupport
import WaferTarget

/// One precision's outcome.
public struct CountResult: Sendable {
    /// The precision label: the model's own policy, or the `--precision` value.
    public var precisionLabel: String
    public var graph: Graph
    public var statistics: ModelStatistics
    public var partition: Partition
    public var timings: [StepTiming]
    /// The share of each wafer's usable bytes the partition filled at most (`Partition.fillLimit`).
    public var fillLimit: Double { partition.fillLimit }
    /// Wall time of this precision's whole pipeline.
    public var totalSeconds: Double
    /// With `--speculative`: the speculative decoding estimate beside the plain one.
    public var speculative: SpeculativeEstimate?

    public init(precisionLabel: String, graph: Graph, statistics: ModelStatistics, partition: Partition, timings: [StepTiming],
                totalSeconds: Double) {
        self.precisionLabel = precisionLabel; self.graph = graph; self.statistics = statistics; self.partition = partition
        self.timings = timings; self.totalSeconds = totalSeconds
    }
}

/// The outcome of a `count` run over one or more precisions (the driver's `Driver.count`
/// builds it; `CountReport+Rendering` prints it).
public struct CountReport: Sendable {
    public var target: Target
    public var defects: DefectSource
    public var defectSummary: String
    public var deployment: DeploymentOptions
    public var results: [CountResult]
    /// The passes' context (target, defects, deployment), with the effective defects they
    /// derived cached: later steps (plan building) reuse it instead of deriving them again.
    public var context: PassContext

    public init(target: Target, defects: DefectSource, defectSummary: String, deployment: DeploymentOptions, results: [CountResult],
                context: PassContext) {
        self.target = target; self.defects = defects; self.defectSummary = defectSummary
        self.deployment = deployment; self.results = results; self.context = context
    }
}
