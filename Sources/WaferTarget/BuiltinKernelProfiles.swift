import Foundation
import WaferSupport

/// The built-in kernel profiles, compiled into the binary so `--kernels production-wse3` works
/// anywhere. The texts are byte-identical to examples/kernels/NAME.yaml (a test checks it):
/// edit both. docs/performance-model.md ("Kernel profiles") gives each constant's evidence.
public enum BuiltinKernelProfiles {
    /// Names in the order `wafermap targets` lists them.
    public static let names = ["production-wse3", "launch-wse3", "waferllm-wse2"]

    public static func text(_ name: String) -> String? {
        switch name {
        case "production-wse3": return productionWSE3
        case "launch-wse3": return launchWSE3
        case "waferllm-wse2": return waferLLMWSE2
        default: return nil
        }
    }

    /// A profile by built-in name or, when `nameOrPath` is not one, from a YAML file (a relative
    /// path is taken from the directory of `relativeTo`, the file that names it, when given).
    /// `location` is where the name was written, for the error. O(file).
    public static func resolve(_ nameOrPath: String, relativeTo file: String? = nil, at location: SourceLocation? = nil) throws(DiagnosticError) -> KernelProfile {
        if let text = text(nameOrPath) {
            return try KernelProfileDecoder.decode(bytes: Array(text.utf8), file: "<builtin kernels \(nameOrPath)>")
        }
        if nameOrPath.hasSuffix(".yaml") || nameOrPath.hasSuffix(".yml") || nameOrPath.contains("/") {
            var path = nameOrPath
            if let file, !nameOrPath.hasPrefix("/"), !file.hasPrefix("<") {
                path = (URL(fileURLWithPath: file).deletingLastPathComponent().path as NSString).appendingPathComponent(nameOrPath)
            }
            return try KernelProfileDecoder.load(path: path)
        }
        var notes: [Diagnostic] = []
        if let s = Suggest.closest(to: nameOrPath, in: names) { notes.append(.note("did you mean '\(s)'?")) }
        notes.append(.note("built-in kernel profiles: \(names.joined(separator: ", ")); or give a kernel profile YAML file"))
        throw .error(TargetFailure.kernelsUnknown, "unknown kernel profile '\(nameOrPath)'", at: location, notes: notes)
    }

    static let waferLLMWSE2 = #"""
# WaferLLM's research decode kernels (Li et al., OSDI'25) on a WSE-2: the constants fitted to the
# paper's 12 measured decode points (wafermap calibrate examples/calibration/waferllm-wse2.yaml --fit).
# Ranges: the spread of each constant over the four leave-one-model-out fits.
version: 1
name: waferllm-wse2
description: WaferLLM research kernels (OSDI'25), measured on a WSE-2
source: "fitted to WaferLLM Table 4 (12 points, 4 models); ranges from leave-one-model-out refits"
matvec_efficiency:        # 1.25 sustained fp16 MACs/cycle of the WSE-2 bound 4 (4-wide SIMD)
  value: 0.3125
  low: 0.295              # 1.18 / 4
  high: 0.345             # 1.38 / 4
dequant_cycles_per_weight:  # UNPUBLISHED: one SIMD op per 8-bit weight, two per 4-bit weight, at 4 wide
  fp8_e4m3: {value: 0.25, low: 0.125, high: 0.5}
  fp8_e5m2: {value: 0.25, low: 0.125, high: 0.5}
  int8: {value: 0.25, low: 0.125, high: 0.5}
  int4: {value: 0.5, low: 0.25, high: 1}
  mxfp4: {value: 0.5, low: 0.25, high: 1}
relay_cycles: {value: 20, low: 19, high: 23}
layer_overhead_cycles: {value: 2765, low: 2096, high: 3408}
reduction_overlap: 0      # the paper times compute and communication phase by phase
"""#

    static let productionWSE3 = #"""
# Cerebras' production decode kernels on a WSE-3, as published from October 2024 (rewritten
# kernels, asynchronous wafer I/O): fitted to the production fit set's rows of this generation
# (wafermap calibrate examples/calibration/production-wse3.yaml --production --fit).
version: 1
name: production-wse3
description: Cerebras production kernels on WSE-3 (October 2024 onwards)
source: "fitted to the production fit set (Llama 3.1 70B 2,100 and 405B 969 tokens/s, speculative decoding assumed)"
matvec_efficiency:        # FITTED (share of the 8 MACs/cycle bound); range: refits at the clock's, the
  value: 0.522           # acceptance's and the draft's range ends
  low: 0.1593
  high: 0.997
"""# + "\n" + wse3Assumptions

    static let launchWSE3 = #"""
# Cerebras' decode kernels on a WSE-3 at the August 2024 launch (before the rewritten kernels,
# asynchronous wafer I/O and speculative decoding): fitted to the production fit set's launch rows
# (wafermap calibrate examples/calibration/production-wse3.yaml --production --fit).
version: 1
name: launch-wse3
description: Cerebras launch kernels on WSE-3 (August 2024)
source: "fitted to the production fit set (Llama 3.1 8B 1,800 and 70B 450 tokens/s, 16-bit, no speculative decoding)"
matvec_efficiency:        # FITTED (share of the 8 MACs/cycle bound); range: refits at the clock's range ends
  value: 0.021
  low: 0.0144
  high: 0.021
"""# + "\n" + wse3Assumptions

    /// The unpublished constants both WSE-3 profiles assume (dequantisation, relay, layer
    /// overhead, overlap): one text, so a corrected assumption reaches both at once.
    static let wse3Assumptions = #"""
dequant_cycles_per_weight:  # UNPUBLISHED: one SIMD op per 8-bit weight, two per 4-bit weight, at 8 wide
  fp8_e4m3: {value: 0.125, low: 0.0625, high: 0.25}
  fp8_e5m2: {value: 0.125, low: 0.0625, high: 0.25}
  int8: {value: 0.125, low: 0.0625, high: 0.25}
  int4: {value: 0.25, low: 0.125, high: 0.5}
  mxfp4: {value: 0.25, low: 0.125, high: 0.5}
relay_cycles: {value: 20, low: 10, high: 25}   # UNPUBLISHED: WaferLLM's fitted 20, widened (fewer stages may suffice)
layer_overhead_cycles: {value: 2765, low: 2096, high: 3408}   # WaferLLM's fitted value and leave-one-model-out range (not refitted)
reduction_overlap:        # UNPUBLISHED: share of a reduction's payload streamed under its product
  value: 0.5
  low: 0
  high: 1
"""#
}
