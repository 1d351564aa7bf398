import WaferSupport

/// The built-in targets, compiled into the binary so `--target wse3` works anywhere.
///
/// The texts are byte-identical to examples/targets/NAME.yaml (a test checks it): edit both.
/// They go through the same decoder and validation as a user's target file.
public enum BuiltinTargets {
    /// Names in the order `wafermap targets` lists them; `wse3` is the default.
    public static let names = ["wse3", "wse2", "small32", "small64"]

    public static let defaultName = "wse3"

    /// The YAML text of a built-in target.
    public static func text(_ name: String) -> String? {
        switch name {
        case "wse3": return wse3
        case "wse2": return wse2
        case "small32": return small32
        case "small64": return small64
        default: return nil
        }
    }

    /// Loads a target by built-in name or, when `nameOrPath` is not one, from a YAML file, with
    /// the kernel profile `kernels` (a built-in name or a file) in place of the target's default.
    /// A version-1 target has no hardware facts to apply a profile to: asking for one is an error.
    public static func resolve(_ nameOrPath: String, kernels: String?) throws(DiagnosticError) -> Target {
        let target = try resolve(nameOrPath)
        guard let kernels else { return target }
        guard target.hardware != nil else {
            throw .error(TargetFailure.hardwareFacts, "target '\(target.name)' gives its sustained figures directly (format version 1), so --kernels cannot apply; write its hardware facts (format version 2, docs/target-format.md)", at: nil)
        }
        return target.applying(try BuiltinKernelProfiles.resolve(kernels))
    }

    /// Loads a target by built-in name or, when `nameOrPath` is not one, from a YAML file.
    public static func resolve(_ nameOrPath: String) throws(DiagnosticError) -> Target {
        if let text = text(nameOrPath) {
            return try TargetDecoder.decode(bytes: Array(text.utf8), file: "<builtin \(nameOrPath)>")
        }
        if nameOrPath.hasSuffix(".yaml") || nameOrPath.hasSuffix(".yml") || nameOrPath.contains("/") {
            return try TargetDecoder.load(path: nameOrPath)
        }
        var notes: [Diagnostic] = []
        if let s = Suggest.closest(to: nameOrPath, in: names) { notes.append(.note("did you mean '\(s)'?")) }
        notes.append(.note("built-in targets: \(names.joined(separator: ", ")); or give a target YAML file"))
        throw .error(TargetFailure.unknown, "unknown target '\(nameOrPath)'", at: nil, notes: notes)
    }

    static let wse3 = wse3Header + wse3Hardware + "\n" + wse3Redundancy + "\nkernels: production-wse3  # the default kernel profile (--kernels replaces it)"

    /// WSE-3's spare rows (docs/redundancy.md): 7 blocks of 168 logical rows (the last 164),
    /// each with 14 spare rows, give 762 x 1,270 = 967,740 physical PEs, Cerebras's "~970K
    /// physical cores" for ~900K active. The block height and spare count are assumptions fitted
    /// to that count; the small test fabrics have none, so their expectations stay put.
    static let wse3Redundancy = #"""
redundancy:               # ASSUMED layout, fitted to "~970K physical cores for ~900K active" (Cerebras, "100x defect tolerance", 2025-01-13)
  block_rows: 168         # logical rows per block (7 blocks, the last 164 rows)
  spare_rows_per_block: 14  # physical height 1172 + 7 x 14 = 1270; 762 x 1270 = 967,740 PEs
  bypass_hops: 1          # extra hops a line pays per dead PE its redundant links step over
"""#

    /// The lines that name the WSE-3 and size its fabric.
    static let wse3Header = #"""
# Cerebras WSE-3 (CS-3). Sources for every value: docs/target-format.md.
version: 2
name: wse3
description: Cerebras WSE-3 (CS-3 system), the default target
fabric:
  width: 762              # Cerebras SDK 2.10 gemv-01 tutorial: "Most CS-3s ... 762 x 1172"
  height: 1172
"""# + "\n"

    /// WSE-3's halo, PE, colors, latencies and wafer link: the wafer and the small test fabrics
    /// share them, so a corrected figure reaches every built-in WSE-3 target at once.
    static let wse3Hardware = #"""
halo:                     # SDK memcpy runtime: program rectangle x >= 4, y >= 1, width <= W-7, height <= H-2
  west: 4
  east: 3
  north: 1
  south: 1
pe:
  sram_bytes: 49152       # 48 KB per PE (Cerebras SDK docs; WaferLLM section 7)
  runtime_reserve_bytes: 8192   # code, stacks, runtime I/O; WaferLLM budgets ~40 KB of 48 KB for data
  buffer_bytes: 2048      # activation and partial-sum buffers (WaferLLM: ~2*(13d + 3f + 2s)/P per PE)
  simd_macs_per_cycle:    # peak, by the type the SIMD computes in
    fp32: 2               # UNPUBLISHED: assumed a quarter of fp16, as on WSE-2 (1 vs 4)
    fp16: 8               # 8-wide FP16 SIMD (The Next Platform, 2024-03-14)
    bf16: 8               # assumed as fp16
  sram_read_bytes_per_cycle: 16   # two 64-bit reads per cycle (Hot Chips 34, WSE-2; WSE-3 per PE about the same)
  sram_write_bytes_per_cycle: 8   # one 64-bit write per cycle (same source)
  input_queues: 8         # WSE-3 binds incoming data to 8 hardware input queues (csl-examples)
colors:
  routable: 24            # 5-bit color tag, ids 0-23 (SDK "A Conceptual View")
  reserved: 3             # the memcpy/IO runtime takes colors 21-23
clock_mhz:                # UNPUBLISHED for WSE-3: "a little higher" than WSE-2's 1.1 GHz
  value: 1100
  low: 1100
  high: 1300
latency:
  hop_cycles: 1           # ~1 cycle per router hop (SDK)
  ramp_cycles: 2          # router <-> PE ramp, T_R ~ 2 cycles (Luczynski et al., HPDC'24)
wavelet_bits: 32          # one 32-bit wavelet per link per cycle per direction
wafer_link:
  bandwidth_gbps: 1200    # CS-3 system I/O: 12 x 100 GbE = 1.2 Tb/s
  latency_ns:             # UNPUBLISHED: a wafer-to-wafer hand-off over Ethernet-class links
    value: 2000
    low: 1000
    high: 5000
"""#


    static let wse2 = #"""
# Cerebras WSE-2 (CS-2), the wafer WaferLLM measured. Sources: docs/target-format.md.
version: 2
name: wse2
description: Cerebras WSE-2 (CS-2 system)
fabric:
  width: 757              # Cerebras SDK 2.10 gemv-01 tutorial: CS-2 757 x 996
  height: 996
halo:                     # SDK memcpy runtime halo, as on WSE-3
  west: 4
  east: 3
  north: 1
  south: 1
pe:
  sram_bytes: 49152       # 48 KB per PE
  runtime_reserve_bytes: 8192
  buffer_bytes: 2048
  simd_macs_per_cycle:    # peak, by the type the SIMD computes in
    fp32: 1               # one MAC per cycle on two 32-bit operands (WaferLLM section 7)
    fp16: 4               # 4-wide FP16 SIMD (The Next Platform, 2024-03-14)
    bf16: 4               # assumed as fp16
  sram_read_bytes_per_cycle: 16   # two 64-bit reads per cycle (Hot Chips 34)
  sram_write_bytes_per_cycle: 8   # one 64-bit write per cycle (Hot Chips 34)
  input_queues: 24        # WSE-2 binds data tasks straight to colors (csl-examples)
colors:
  routable: 24
  reserved: 3
clock_mhz: 1100           # WaferLLM: "up to 1.1 GHz" (another source says 850 MHz for CS-2)
latency:
  hop_cycles: 1
  ramp_cycles: 2
wavelet_bits: 32
wafer_link:
  bandwidth_gbps: 923     # derived: CS-3 has ~30% more ingress/egress than CS-2 (1200 / 1.3)
  latency_ns:             # UNPUBLISHED: assumed, as for WSE-3
    value: 2000
    low: 1000
    high: 5000
kernels: waferllm-wse2    # the kernels WaferLLM measured (--kernels replaces it)
"""#

    static let small32 = smallFabric(side: 32)
    static let small64 = smallFabric(side: 64)

    /// The small test fabrics: WSE-3's PE, router and halo (`wse3Hardware`) on a `side` x `side` grid. One text
    /// for both, so the two cannot drift apart; examples/targets/small32.yaml and small64.yaml
    /// are its output (a test checks the bytes).
    static func smallFabric(side: Int) -> String {
        """
# A small test fabric: WSE-3's PE, router and halo on \(side)x\(side) PEs.
version: 2
name: small\(side)
description: a \(side)x\(side)-PE test fabric with WSE-3 PEs (tests, numeric executor)
fabric:
  width: \(side)
  height: \(side)
""" + "\n" + wse3Hardware + "\nkernels: waferllm-wse2    # test fabrics keep the research kernels' measured constants, so their expectations do not move with the production fit"
    }
}
