/// The ranges a target's figures must lie in, each with its reason. The target reader
/// (`TargetDecoder`) and `Target.init(figuresFrom:)` refuse anything outside them, so every
/// accepted target can be compiled without overflow or an oversized allocation, and every plan
/// compiled for it is within the plan format's own limits (`WaferPlan.PlanLimits`, which these
/// are at least as strict as; Tests/WaferMapTests/TargetPlanLimitsTests.swift checks it).
/// docs/target-format.md lists them.
public enum TargetLimits {
    /// Fabric width and height, in PEs: the plan format's `maxFabricSide` (a WSE-3 is
    /// 762 x 1172). It also keeps every PE id `y * width + x` and link id `2 * pe + 1` below
    /// 2 * 4096^2 + 1 = 33,554,433 < 2^31, so the defect maps' 32-bit ids cannot overflow, and a
    /// one-byte-per-PE map of a wafer at most 16 MiB.
    public static let maxFabricSide = 4096
    /// Each halo side, in PEs (also below the fabric side, leaving a program area of at least
    /// one PE each way).
    public static let maxHalo = 4096
    /// SRAM per PE, in bytes: 128 KiB (2.7 times a WSE-3 PE's 48 KB). 4,096 wafers of
    /// 4096 x 4096 PEs of 2^17 bytes are 2^53 bytes, the plan format's largest total (exact in
    /// a Double), so no byte total can overflow.
    public static let maxSRAMBytesPerPE = 1 << 17
    /// Routable colors: the plan format allows 0 to 64 (a WSE has 24, a 5-bit tag has 32).
    /// Reserved colors are fewer than routable ones.
    public static let maxColors = 64
    /// Hop, ramp and relay latencies, in cycles: the plan format's 0...65,536.
    public static let maxLinkLatencyCycles = 1 << 16
    /// Fixed cycles per decoder layer: below the plan format's 2^31 - 1 for a per-layer integer.
    public static let maxLayerOverheadCycles = 1_000_000_000
    /// Bits per wavelet: the plan format's 1...1,024 (a WSE wavelet is 32 bits).
    public static let maxWaveletBits = 1024
    /// Clock, in MHz: at least 1 MHz (cycle times stay finite) and at most the plan format's
    /// 10^6 (1 THz).
    public static let clockMHz: ClosedRange<Double> = 1...1_000_000
    /// Wafer-to-wafer bandwidth, in Gb/s: positive and at most the plan format's 10^6.
    public static let waferLinkGbps: ClosedRange<Double> = 0.001...1_000_000
    /// Wafer-to-wafer latency, in ns: the plan format's 0...10^9 (one second).
    public static let waferLinkLatencyNs: ClosedRange<Double> = 0...1_000_000_000
    /// Sustained MACs per cycle per PE, per element type: positive (the plan format requires
    /// it) and at most 10^6, so cycle counts stay above zero for any real op.
    public static let macsPerCycle: ClosedRange<Double> = 0.001...1_000_000
    /// SRAM read or write bytes per cycle per PE: positive and at most 4,096 (a WSE PE reads 16).
    public static let sramBytesPerCycle: ClosedRange<Double> = 0.001...4096
    /// A kernel's share of the hardware's matrix-vector bound: above zero, at most one.
    public static let matvecEfficiency: ClosedRange<Double> = 0.001...1
    /// Extra cycles per weight to dequantise a narrow weight: 0 to 1,000.
    public static let dequantCyclesPerWeight: ClosedRange<Double> = 0...1000
    /// PEs of all the wafers of one deployment: 2^26 = 67,108,864, 75 WSE-3 wafers (Kimi K2
    /// takes 32, a synthetic 2x Kimi 64). What one compile holds grows with the wafers: a
    /// 147-wafer WSE-3 compile with a 0.1% clustered defect map peaked at 2.3 GB, about 16 MB a
    /// wafer, so 75 stay near 1.2 GB; the partition refuses more, and the plan reader refuses a
    /// plan whose wafers hold more (`PlanLimits.maxTotalPEs`, the same value).
    public static let maxDeploymentPEs = 1 << 26
}
