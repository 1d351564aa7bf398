import WaferReport
import WaferExec
import WaferPasses
import WaferPerf
import WaferPlan
import WaferSupport

/// The `--report` of `compile`, after nextpnr's JSON report: per wafer the used and available
/// amount of each resource, the quality figures of placement and routing, the plan's check, and
/// each stage's wall time. Keys are snake_case with the unit in the name (docs/cli.md).
/// Everything but the wall times is deterministic.
public struct CompileReport: Sendable, Encodable {
    public struct Resource: Sendable, Encodable {
        public var used: Int
        public var available: Int
    }
    public struct WaferUtilization: Sendable, Encodable {
        public var wafer: Int
        public var pes: Resource
        public var sramBytes: Resource
        public var slots: Resource
        public var colorsPerPe: Resource
        public var deadPes: Int
        public var sealedPes: Int
        public var overlayPes: Int
        /// The spare rows' repair of the wafer's physical defects (docs/redundancy.md); absent for logical defects.
        public var redundancy: PlanRedundancy?
    }
    public struct Stage: Sendable, Encodable {
        public var stage: String
        public var wallS: Double
        public var peakRssBytes: Int
    }
    public struct Check: Sendable, Encodable {
        public var passed: Bool
        public var problems: [String]
    }

    /// The embedded executor's verdict (docs/executor.md).
    public struct Execution: Sendable, Encodable {
        public var passed: Bool
        public var violationCounts: [String: Int]
        public var violations: [Violation]
        public var numeric: NumericCheck.Result?
        public var simulatedTokensPerS: Double?
        public var simulatedOverPredicted: Double?
        public var timingDisagreement: String?
    }

    public var model: String
    public var target: String
    public var plan: String
    public var planBytes: Int
    public var planFormatVersion: Int
    public var compilerVersion: String
    public var seed: UInt64
    public var wafers: Int
    public var wafersLowerBound: Int
    public var weightBytes: Int
    public var kvCacheBytes: Int
    public var tokensPerS: Double
    /// The range the unpublished constants give, the ones that dominate it, and the kernel
    /// profile assumed (docs/performance-model.md, "Uncertainty").
    public var tokensPerSLow: Double
    public var tokensPerSHigh: Double
    public var dominantAssumptions: [String]
    public var kernelProfile: String?
    public var cyclesPerToken: Int
    public var maxColorsPerPe: Int
    public var utilization: [WaferUtilization]
    public var placement: PlacementQuality?
    public var check: Check
    public var executor: Execution
    public var stages: [Stage]
    public var totalWallS: Double
    /// Every algorithm knob with the value this compile used, its default and unit
    /// (docs/pass-options.md): all of them, not only the changed ones.
    public var passOptions: [PassOptionSetting]
    public var speculative: SpeculativeEstimate?

    init(plan: Plan, planPath: String, planBytes: Int, quality: PlacementQuality?, problems: [String], execution: Executor.Report,
         timings: [StepTiming], totalSeconds: Double, options: PassOptions, speculative: SpeculativeEstimate? = nil) {
        self.speculative = speculative
        model = plan.inputs.modelName
        target = plan.target.name
        self.plan = planPath
        self.planBytes = planBytes
        planFormatVersion = plan.formatVersion
        compilerVersion = plan.compilerVersion
        seed = plan.inputs.seed
        wafers = plan.summary.wafers
        wafersLowerBound = plan.summary.wafersLowerBound
        weightBytes = plan.summary.weightBytes
        kvCacheBytes = plan.summary.kvCacheBytes
        tokensPerS = plan.summary.tokensPerS
        tokensPerSLow = quality?.performance?.tokensPerSLow ?? tokensPerS
        tokensPerSHigh = quality?.performance?.tokensPerSHigh ?? tokensPerS
        dominantAssumptions = quality?.performance?.dominantAssumptions ?? []
        kernelProfile = quality?.performance?.kernelProfile
        cyclesPerToken = plan.summary.cyclesPerToken
        maxColorsPerPe = plan.summary.maxColorsPerPe
        let budget = plan.routing.colorBudget
        utilization = plan.wafers.map { w in
            let row = quality?.wafers.first { $0.wafer == w.index }
            return WaferUtilization(wafer: w.index, pes: Resource(used: row?.pesUsed ?? 0, available: row?.pesUsable ?? 0),
                                    sramBytes: Resource(used: row?.sramBytesUsed ?? 0, available: row?.sramBytesUsable ?? 0),
                                    slots: Resource(used: w.groupSlots.count, available: row?.usableSlots ?? w.gridColumns * w.gridRows),
                                    colorsPerPe: Resource(used: w.maxColorsPerPe, available: budget),
                                    deadPes: w.deadPes.count, sealedPes: w.sealedPes.count, overlayPes: w.overlayPes.count, redundancy: w.redundancy)
        }
        placement = quality
        check = Check(passed: problems.isEmpty, problems: problems)
        let simulated = execution.timing?.tokensPerS
        executor = Execution(passed: execution.passed,
                             violationCounts: Dictionary(uniqueKeysWithValues: execution.violations.counts.map { ($0.key.rawValue, $0.value) }),
                             violations: execution.violations.items, numeric: execution.numeric, simulatedTokensPerS: simulated,
                             simulatedOverPredicted: simulated.map { TimingAgreement.ratio(simulated: $0, predicted: plan.summary.tokensPerS) },
                             timingDisagreement: simulated.flatMap { TimingAgreement.warning(simulated: $0, predicted: plan.summary.tokensPerS) })
        stages = timings.map { Stage(stage: $0.name, wallS: $0.seconds, peakRssBytes: $0.peakResidentBytes) }
        totalWallS = totalSeconds
        passOptions = PassOptionReport.settings(options)
    }

    public func json() -> String { JSONOutput.render(self) }
}
