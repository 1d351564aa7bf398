import WaferSupport
import WaferTarget

/// The WaferLLM fit expressed as a kernel profile (docs/performance-model.md, "Kernel
/// profiles"): matvec efficiency = fitted MACs per cycle / the target hardware's bound, relay
/// and layer overhead as fitted; each range is the spread of the constant over the
/// leave-one-model-out folds (the constants other subsets of the data would have given).
/// O(folds).
public struct KernelProfileFit: Sendable, Encodable {
    /// The target's matrix-vector bound for fp16 weights, MACs per cycle.
    public var boundMacsPerCycle: Double
    public var matvecEfficiency: Uncertain
    public var relayCycles: Uncertain
    public var layerOverheadCycles: Uncertain

    public init?(fit: CalibrationFit, heldOut: CalibrationHoldOut?, hardware: HardwareFacts?) {
        guard let hardware else { return nil }
        let bound = 1 / hardware.boundCyclesPerMAC(.fp16)
        boundMacsPerCycle = bound
        let folds = heldOut?.folds ?? []
        matvecEfficiency = .spread(fit.macsPerCycle / bound, folds.map { $0.macsPerCycle / bound })
        relayCycles = .spread(Double(fit.relayCycles), folds.map { Double($0.relayCycles) })
        layerOverheadCycles = .spread(Double(fit.layerOverheadCycles), folds.map { Double($0.layerOverheadCycles) })
    }

    /// The YAML lines of a kernel profile holding these constants.
    public var yamlLines: [String] {
        func u(_ x: Uncertain, _ digits: Int) -> String {
            "{value: \(Units.fixed(x.value, digits: digits)), low: \(Units.fixed(x.low, digits: digits)), high: \(Units.fixed(x.high, digits: digits))}"
        }
        return ["matvec_efficiency: \(u(matvecEfficiency, 4))", "relay_cycles: \(u(relayCycles, 0))", "layer_overhead_cycles: \(u(layerOverheadCycles, 0))"]
    }
}
