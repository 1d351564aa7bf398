import Foundation
import WaferFrontend
import WaferIR
import WaferPasses
import WaferPerf
import WaferReport
import WaferSupport
import WaferTarget

/// The target, deployment and defect settings as a user writes them (the CLI's shared flags,
/// before any checking), and their translation into a `CountRequest`. Every value is checked
/// here, with the message naming the flag, so the rules are testable without the executable.
public struct DeploymentArguments: Sendable {
    /// A built-in target name or a target YAML file.
    public var target: String = BuiltinTargets.defaultName
    /// A kernel profile (built-in name or file) replacing the target's default.
    public var kernels: String?
    /// Storage precisions, comma-separated, replacing the model's policy; nil keeps the policy.
    public var precision: String?
    public var context: Int = 8192
    public var batch: Int = 1
    /// KV caches to place (`--sequences`); nil: `batch`.
    public var sequences: Int?
    /// The KV cache's element type (`fp8` means `fp8_e4m3`).
    public var kvPrecision: String = "bf16"
    /// `auto` or a number.
    public var wafers: String = "auto"
    /// A defect-map file, or a rate of generated defects (not both).
    public var defects: String?
    public var defectRate: Double?
    public var seed: UInt64 = 1
    public var clustered = false
    /// `--repair none|spare-rows`; nil: spare rows when the target has them.
    public var repair: String?
    /// A fixed slot size: `P` or `WxH` in PEs.
    public var slot: String?
    public var prompt: Int?
    public var speculative: String?, draftTokens: Int?, acceptanceRate: Double?
    /// `--threads N`: threads for per-wafer work (routing, the executor's route replay); nil
    /// keeps the machine's processor count. Outputs do not depend on it (`Parallelism`).
    public var threads: Int?

    public init() {}

    /// At most this many precisions: each one is a whole pipeline run.
    public static let maxPrecisions = 64

    /// The request to run the pipeline on `model` with these settings. O(precisions).
    public func countRequest(model: String) throws(DiagnosticError) -> CountRequest {
        var request = CountRequest(modelPath: model)
        try ThreadsFlag.apply(threads)
        request.target = target
        request.kernels = kernels
        if let precision { request.precisions = try Self.precisions(precision) }
        guard let kv = ElementType(rawValue: kvPrecision == "fp8" ? "fp8_e4m3" : kvPrecision), kv.bits >= 8, kv != .int8 else {
            throw .error(DriverFailure.flagValue, "--kv-precision must be fp32, bf16, fp16, fp8_e4m3 or fp8_e5m2, not '\(kvPrecision)'", at: nil)
        }
        var count = WaferCount.auto
        if wafers != "auto" {
            guard let n = Int(wafers) else { throw .error(DriverFailure.flagValue, "--wafers must be 'auto' or a number, not '\(wafers)'", at: nil) }
            count = .exactly(n)
        }
        var shape: SlotShape?
        if let slot {
            guard let parsed = SlotShape(parsing: slot) else { throw .error(DriverFailure.flagValue, "--slot must be P or WxH in PEs (1 to 100,000 each), not '\(slot)'", at: nil) }
            shape = parsed
        }
        request.deployment = DeploymentOptions(contextTokens: context, batch: batch, kvElement: kv, wafers: count, seed: seed, slot: shape,
                                               promptTokens: prompt, sequences: sequences)
        if let prompt, prompt < 1 || prompt > context {
            throw .error(DriverFailure.flagValue, "--prompt must be between 1 and the context (\(context) tokens), not \(prompt)", at: nil)
        }
        request.speculative = try SpeculativeRequest.checked(draft: speculative, draftTokens: draftTokens, acceptanceRate: acceptanceRate)
        if defects != nil && defectRate != nil {
            throw .error(DriverFailure.flagConflict, "give either --defects FILE or --defect-rate R, not both", at: nil)
        }
        if let defects { request.defects = .file(defects) }
        if let defectRate { request.defects = .generate(rate: defectRate, seed: seed, clustered: clustered) }
        if let repair {
            guard let mode = RepairMode(rawValue: repair) else { throw .error(DriverFailure.flagValue, "--repair must be none or spare-rows, not '\(repair)'", at: nil) }
            request.repair = mode
        }
        return request
    }

    /// The formats of a `--precision` list, each checked, with a did-you-mean for an unknown one.
    static func precisions(_ list: String) throws(DiagnosticError) -> [NumberFormat] {
        var formats: [NumberFormat] = []
        let items = FormatDecoder.splitList(list)
        if items.count > maxPrecisions { throw .error(DriverFailure.flagValue, "--precision lists \(items.count) formats; give at most \(maxPrecisions)", at: nil) }
        for item in items.map({ $0.trimmingCharacters(in: .whitespaces) }) {
            if item.isEmpty { throw .error(DriverFailure.flagValue, "--precision: empty item in the list '\(list)'", at: nil) }
            guard let format = FormatDecoder.parse(item) else {
                var notes: [Diagnostic] = []
                if let s = Suggest.closest(to: item, in: FormatDecoder.names) { notes.append(.note("did you mean '\(s)'?")) }
                notes.append(.note("precisions: \(FormatDecoder.names.joined(separator: ", "))"))
                throw .error(DriverFailure.flagValue, "--precision: unknown precision '\(item)'", at: nil, notes: notes)
            }
            formats.append(format)
        }
        return formats
    }

    /// `bench`'s defaults: without a defect map or rate, 0.1% clustered defects.
    public func withBenchmarkDefects() -> DeploymentArguments {
        var copy = self
        if copy.defects == nil && copy.defectRate == nil { copy.defectRate = 0.001; copy.clustered = true }
        return copy
    }

    /// How `bench` names the defects it ran with.
    public var defectsLabel: String {
        defectRate.map { "\(Units.decimal($0)) clustered=\(clustered) seed \(seed)" } ?? (defects ?? "none")
    }
}

/// The two output formats of `compile`, `check`, `repair` and `calibrate`.
public enum OutputFormat: String, Sendable {
    case text, json

    /// Reads `--format`; anything else is a usage error naming the value.
    public init(flag value: String) throws(DiagnosticError) {
        guard let format = OutputFormat(rawValue: value) else { throw .error(DriverFailure.flagValue, "--format '\(value)': expected text or json", at: nil) }
        self = format
    }
}
