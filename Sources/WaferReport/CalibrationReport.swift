import WaferPerf
import WaferSupport

/// The outcome of `wafermap calibrate` (docs/performance-model.md): WaferLLM-style points
/// predicted on their published mapping, the fit and its leave-one-model-out validation, and the
/// compiler's own mapping. Built by the driver, rendered by `text()` and `json()`.
public struct CalibrationReport: Sendable, Encodable {
    /// One published point, predicted on the published mapping (`--slot P`).
    public struct Point: Sendable, Encodable {
        public var model: String
        public var layers: Int
        public var region: Int
        public var measuredTokensPerS: Double
        /// Decoder layers alone (what the paper times), by the compiler's analytic model and by
        /// the executor's timing simulation of the plan.
        public var analyticTokensPerS: Double
        public var analyticError: Double
        public var simulatedTokensPerS: Double
        public var simulatedError: Double
        /// The whole model on the same mapping: hand-offs, wafer links, embedding and LM head.
        public var wholeModelTokensPerS: Double
        public var wafers: Int
        /// Terms of the analytic layer time (cycles; the fit's inputs): MAC count at 1 MAC per
        /// cycle, relay stages, everything else at zero relay cost and overhead, layers.
        public var macCycles: Int
        public var relayStages: Int
        public var otherCycles: Int

        public init(model: String, layers: Int, region: Int, measuredTokensPerS: Double, analyticTokensPerS: Double, simulatedTokensPerS: Double,
                    wholeModelTokensPerS: Double, wafers: Int, macCycles: Int, relayStages: Int, otherCycles: Int) {
            self.model = model; self.layers = layers; self.region = region; self.measuredTokensPerS = measuredTokensPerS
            self.analyticTokensPerS = analyticTokensPerS; analyticError = analyticTokensPerS / measuredTokensPerS - 1
            self.simulatedTokensPerS = simulatedTokensPerS; simulatedError = simulatedTokensPerS / measuredTokensPerS - 1
            self.wholeModelTokensPerS = wholeModelTokensPerS; self.wafers = wafers
            self.macCycles = macCycles; self.relayStages = relayStages; self.otherCycles = otherCycles
        }

        /// The fit's input for this point.
        public var term: CalibrationFit.Term {
            .init(macCycles: macCycles, relayStages: relayStages, layers: layers, otherCycles: otherCycles, measuredTokensPerS: measuredTokensPerS,
                  model: model, region: region)
        }
    }
    /// The compiler's own mapping of one model, beside the best published figure.
    public struct Own: Sendable, Encodable {
        public var model: String
        public var publishedBestTokensPerS: Double
        public var publishedBestRegion: Int
        public var wafers: Int
        public var slots: String
        public var predictedTokensPerS: Double
        public var simulatedTokensPerS: Double
        public var layersAloneTokensPerS: Double
        public var handoffAndLinkShare: Double
        public var ratioToPublished: Double

        public init(model: String, publishedBestTokensPerS: Double, publishedBestRegion: Int, wafers: Int, slots: String, predictedTokensPerS: Double,
                    simulatedTokensPerS: Double, layersAloneTokensPerS: Double, handoffAndLinkShare: Double) {
            self.model = model; self.publishedBestTokensPerS = publishedBestTokensPerS; self.publishedBestRegion = publishedBestRegion
            self.wafers = wafers; self.slots = slots; self.predictedTokensPerS = predictedTokensPerS; self.simulatedTokensPerS = simulatedTokensPerS
            self.layersAloneTokensPerS = layersAloneTokensPerS; self.handoffAndLinkShare = handoffAndLinkShare
            ratioToPublished = predictedTokensPerS / publishedBestTokensPerS
        }
    }
    /// Constants fitted by least squares on relative error (WaferPerf's `CalibrationFit`).
    public typealias Fit = CalibrationFit
    public var source: String
    public var target: String
    public var contextTokens: Int
    public var constants: [String]
    public var points: [Point]
    public var maxAnalyticError: Double
    public var maxSimulatedError: Double
    public var fit: Fit?
    /// Leave-one-model-out validation of the fit (with `fit`, when the set holds two or more models).
    public var heldOut: CalibrationHoldOut?
    /// The fit as kernel-profile constants with ranges (with `fit`, on a target with hardware
    /// facts), and the profile the target's figures came from.
    public var profileFit: KernelProfileFit?
    public var kernelProfile: String?
    /// `heldOut.maxAbsError`, at the top level of the JSON as `held_out_max_abs_error`.
    public var heldOutMaxAbsError: Double?
    public var own: [Own]

    public init(source: String, target: String, contextTokens: Int, constants: [String], points: [Point], fit: Fit?, heldOut: CalibrationHoldOut?, own: [Own],
                profileFit: KernelProfileFit? = nil, kernelProfile: String? = nil) {
        self.profileFit = profileFit; self.kernelProfile = kernelProfile
        self.source = source; self.target = target; self.contextTokens = contextTokens; self.constants = constants; self.points = points
        maxAnalyticError = points.map { abs($0.analyticError) }.max() ?? 0
        maxSimulatedError = points.map { abs($0.simulatedError) }.max() ?? 0
        self.fit = fit; self.heldOut = heldOut; heldOutMaxAbsError = heldOut?.maxAbsError; self.own = own
    }
}
