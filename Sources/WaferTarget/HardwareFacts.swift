import WaferSupport

/// What the silicon can do, apart from how well any kernel uses it (docs/target-format.md,
/// "Hardware facts"): the SIMD rate per element type, the SRAM's bytes per cycle, the input
/// queues, and the unpublished clock and wafer-link latency as documented ranges. A kernel
/// profile (`KernelProfile`) turns these into the sustained rates the passes time with.
public struct HardwareFacts: Sendable, Hashable {
    /// Peak multiply-accumulates per cycle per PE by the element type the SIMD computes in
    /// (WSE-3: 8-wide fp16; WSE-2: 4-wide). Narrow weights compute in fp16 after dequantisation.
    public var simdMacsPerCycle: [ElementType: Double]
    /// SRAM bytes a PE can read and write per cycle (WSE-2: two 64-bit reads and one 64-bit write).
    public var sramReadBytesPerCycle: Double
    public var sramWriteBytesPerCycle: Double
    /// Hardware input queues per PE (colors a PE can receive on at once; WSE-3: 8).
    public var inputQueues: Int
    /// Clock in MHz and wafer-to-wafer latency in ns, central value and range.
    public var clockMHz: Uncertain
    public var waferLinkLatencyNs: Uncertain

    public init(simdMacsPerCycle: [ElementType: Double], sramReadBytesPerCycle: Double, sramWriteBytesPerCycle: Double, inputQueues: Int,
                clockMHz: Uncertain, waferLinkLatencyNs: Uncertain) {
        self.simdMacsPerCycle = simdMacsPerCycle; self.sramReadBytesPerCycle = sramReadBytesPerCycle
        self.sramWriteBytesPerCycle = sramWriteBytesPerCycle; self.inputQueues = inputQueues
        self.clockMHz = clockMHz; self.waferLinkLatencyNs = waferLinkLatencyNs
    }

    /// The element type the SIMD computes in for weights stored as `element`: plain floats in
    /// themselves, everything narrower in fp16 after dequantisation.
    public static func computeElement(_ element: ElementType) -> ElementType { element.isPlainFloat ? element : .fp16 }

    /// Bytes of SRAM one weight of `element` occupies as it streams (block scales excluded).
    public static func bytesPerWeight(_ element: ElementType) -> Double { Double(element.bits) / 8 }

    /// Cycles per MAC of a batch-1 matrix-vector product with weights stored as `element` at the
    /// hardware's bound: each weight is read once, so the rate is the smaller of the SIMD rate
    /// and the SRAM read bytes per cycle over the bytes per weight. O(1).
    public func boundCyclesPerMAC(_ element: ElementType) -> Double {
        let simd = simdMacsPerCycle[Self.computeElement(element)] ?? simdMacsPerCycle[.fp16] ?? 1
        return max(1 / max(simd, 1e-9), Self.bytesPerWeight(element) / max(sramReadBytesPerCycle, 1e-9))
    }
}
