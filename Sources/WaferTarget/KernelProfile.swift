import WaferSupport

/// How efficiently one implementation of the decode kernels uses the hardware, apart from the
/// hardware itself (docs/performance-model.md, "Kernel profiles"). The same wafer runs
/// WaferLLM's research kernels and Cerebras' production kernels at very different speeds; each
/// is a named profile with its own constants, fitted to its own data (`wafermap calibrate`).
/// Every constant carries a documented range.
public struct KernelProfile: Sendable, Hashable {
    public var name: String
    public var description: String
    /// The data the constants were fitted to, or the reason they were chosen.
    public var source: String
    /// Share of the hardware's matrix-vector bound (`HardwareFacts.boundCyclesPerMAC`) the
    /// kernel sustains, in (0, 1].
    public var matvecEfficiency: Uncertain
    /// Extra cycles per weight to dequantise narrow weights (fp8, int8, int4, mxfp4) to fp16
    /// before the multiply; a type not listed costs nothing extra.
    public var dequantCyclesPerWeight: [ElementType: Uncertain]
    /// Cycles one software relay stage (a PE forwarding through its compute engine) costs.
    public var relayCycles: Uncertain
    /// Fixed cycles per decoder layer per decode step: task switches, synchronisation.
    public var layerOverheadCycles: Uncertain
    /// Share of a reduction's streamed payload hidden behind the product that produces it, 0...1.
    public var reductionOverlap: Uncertain

    public init(name: String, description: String, source: String, matvecEfficiency: Uncertain, dequantCyclesPerWeight: [ElementType: Uncertain],
                relayCycles: Uncertain, layerOverheadCycles: Uncertain, reductionOverlap: Uncertain) {
        self.name = name; self.description = description; self.source = source; self.matvecEfficiency = matvecEfficiency
        self.dequantCyclesPerWeight = dequantCyclesPerWeight; self.relayCycles = relayCycles
        self.layerOverheadCycles = layerOverheadCycles; self.reductionOverlap = reductionOverlap
    }
}

/// The constants that are not published, each with the direction that makes decode faster.
/// A performance range evaluates the prediction with every one at its slow end and at its fast
/// end; the swing of each alone says which dominate (docs/performance-model.md, "Uncertainty").
public enum PerformanceAssumption: String, Sendable, Hashable, CaseIterable, Codable {
    case clock = "clock"
    case waferLinkLatency = "wafer link latency"
    case matvecEfficiency = "matvec efficiency"
    case dequant = "dequantisation cost"
    case relay = "relay cycles"
    case layerOverhead = "layer overhead"
    case reductionOverlap = "reduction overlap"
    /// The speculative draft's per-token acceptance (a deployment choice, not a target
    /// constant: only speculative figures read it, from the draft kind's documented range).
    case acceptance = "speculative acceptance"
    /// Which draft an undisclosed speculative deployment uses: `auto`'s choice or the EAGLE head
    /// (the slower of the two at the slow end, the faster at the fast end).
    case draft = "speculative draft"

    /// The bound of the range that makes decode faster.
    public var fastBound: Uncertain.Bound {
        switch self {
        case .clock, .matvecEfficiency, .reductionOverlap, .acceptance, .draft: return .high
        case .waferLinkLatency, .dequant, .relay, .layerOverhead: return .low
        }
    }

    public var slowBound: Uncertain.Bound { fastBound == .high ? .low : .high }
}

/// Which bound each unpublished constant takes in one evaluation (missing: the central value).
public struct AssumptionSetting: Sendable, Hashable {
    public var bounds: [PerformanceAssumption: Uncertain.Bound]
    public init(_ bounds: [PerformanceAssumption: Uncertain.Bound] = [:]) { self.bounds = bounds }

    public static let central = AssumptionSetting()
    /// Every constant at its slow (or fast) end: the low (or high) tokens/s.
    public static let slowest = AssumptionSetting(Dictionary(uniqueKeysWithValues: PerformanceAssumption.allCases.map { ($0, $0.slowBound) }))
    public static let fastest = AssumptionSetting(Dictionary(uniqueKeysWithValues: PerformanceAssumption.allCases.map { ($0, $0.fastBound) }))

    public func bound(_ a: PerformanceAssumption) -> Uncertain.Bound { bounds[a] ?? .value }
}

extension Target {
    /// This target with `profile`'s kernels on its hardware, every unpublished constant taken as
    /// `setting` says: the sustained MACs per cycle per element type are
    /// `efficiency / (bound cycles per MAC + dequantisation cycles per weight)`, and the relay,
    /// layer-overhead, overlap, clock and wafer-link figures come from the profile and the
    /// hardware facts. A target without hardware facts (format version 1) keeps its own
    /// figures. O(element types).
    public func applying(_ profile: KernelProfile, _ setting: AssumptionSetting = .central) -> Target {
        guard let hardware else { return self }
        var t = self
        let efficiency = profile.matvecEfficiency.at(setting.bound(.matvecEfficiency))
        var macs: [ElementType: Double] = [:]
        for element in ElementType.allCases {
            let dequant = profile.dequantCyclesPerWeight[element]?.at(setting.bound(.dequant)) ?? 0
            let rate = efficiency / (hardware.boundCyclesPerMAC(element) + dequant)
            macs[element] = min(max(rate, TargetLimits.macsPerCycle.lowerBound), TargetLimits.macsPerCycle.upperBound)
        }
        t.macsPerCycle = macs
        t.relayLatencyCycles = Int(profile.relayCycles.at(setting.bound(.relay)).rounded())
        t.layerOverheadCycles = Int(profile.layerOverheadCycles.at(setting.bound(.layerOverhead)).rounded())
        t.reductionOverlap = min(max(profile.reductionOverlap.at(setting.bound(.reductionOverlap)), 0), 1)
        t.clockMHz = hardware.clockMHz.at(setting.bound(.clock))
        t.waferLinkLatencyNs = hardware.waferLinkLatencyNs.at(setting.bound(.waferLinkLatency))
        t.kernels = profile
        return t
    }

    /// The unpublished constants that have a range on this target and profile: the ones a
    /// performance range varies. O(1).
    public var uncertainAssumptions: [PerformanceAssumption] {
        guard let hardware, let kernels else { return [] }
        return PerformanceAssumption.allCases.filter { a in
            switch a {
            case .clock: return hardware.clockMHz.isUncertain
            case .waferLinkLatency: return hardware.waferLinkLatencyNs.isUncertain
            case .matvecEfficiency: return kernels.matvecEfficiency.isUncertain
            case .dequant: return kernels.dequantCyclesPerWeight.values.contains { $0.isUncertain }
            case .relay: return kernels.relayCycles.isUncertain
            case .layerOverhead: return kernels.layerOverheadCycles.isUncertain
            case .reductionOverlap: return kernels.reductionOverlap.isUncertain
            case .acceptance, .draft: return false
            }
        }
    }
}
