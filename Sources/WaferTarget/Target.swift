import WaferSupport

/// The I/O halo a wafer's runtime reserves around the program rectangle, in PEs.
public struct Halo: Sendable, Hashable {
    public var west: Int
    public var east: Int
    public var north: Int
    public var south: Int
    public init(west: Int, east: Int, north: Int, south: Int) {
        self.west = west; self.east = east; self.north = north; self.south = south
    }
}

/// A wafer-scale accelerator as the compiler sees it. Every number a pass uses comes from here;
/// docs/target-format.md explains each field and where the built-in values come from.
public struct Target: Sendable, Hashable {
    public var name: String
    public var description: String
    /// Fabric size in PEs (columns x rows).
    public var fabricWidth: Int
    public var fabricHeight: Int
    public var halo: Halo
    /// SRAM per PE in bytes.
    public var sramBytesPerPE: Int
    /// Bytes per PE that code, stacks and runtime I/O buffers take; weights cannot use them.
    public var runtimeReserveBytesPerPE: Int
    /// Bytes per PE budgeted for activation and partial-sum buffers of the layers it holds.
    public var bufferBytesPerPE: Int
    /// Sustained multiply-accumulates per cycle per PE during a matrix-vector product, by the
    /// element type the PE computes in (a fitted, effective rate; may be fractional).
    public var macsPerCycle: [ElementType: Double]
    /// Routable colors (virtual channels) per PE, and how many the runtime reserves.
    public var routableColors: Int
    public var reservedColors: Int
    public var clockMHz: Double
    /// Cycles for a wavelet to cross one link, and between a router and its own PE.
    public var hopLatencyCycles: Int
    public var rampLatencyCycles: Int
    /// Cycles a software relay stage (a PE forwarding through its compute engine) costs.
    public var relayLatencyCycles: Int
    /// Fixed cycles per decoder layer per decode step beyond its MACs, transfers and elementwise
    /// work: task switches and synchronisation (fitted; target `latency.layer_overhead_cycles`).
    public var layerOverheadCycles: Int
    public var waveletBits: Int
    /// Wafer-to-wafer link: gigabits per second each way, and one-way latency.
    public var waferLinkGbps: Double
    public var waferLinkLatencyNs: Double
    /// What the silicon can do (format version 2): the sustained figures above are derived from
    /// it and a kernel profile (`applying(_:_:)`). Nil for a version-1 target, whose figures are
    /// given directly, and for a target read back from a plan.
    public var hardware: HardwareFacts? {
        get { performance.hardware }
        set { performance = PerformanceFacts(hardware: newValue, kernels: kernels, defaultKernels: defaultKernels) }
    }
    /// The kernel profile the sustained figures come from (nil: given directly).
    public var kernels: KernelProfile? {
        get { performance.kernels }
        set { performance = PerformanceFacts(hardware: hardware, kernels: newValue, defaultKernels: defaultKernels) }
    }
    /// The kernel profile the target file names as its default (`kernels:`).
    public var defaultKernels: String? {
        get { performance.defaultKernels }
        set { performance = PerformanceFacts(hardware: hardware, kernels: kernels, defaultKernels: newValue) }
    }
    /// The three above, held by one immutable shared reference: a target is copied into every
    /// pass context and defect generator, and the copies stay as small as before the facts.
    var performance = PerformanceFacts()
    /// Fraction (0...1) of a reduction's streamed payload hidden under the product that computes
    /// its partial sums (docs/routing-and-schedule.md, "Overlap"): 0 runs phases strictly one
    /// after another, 1 is perfect streaming. Set by a kernel profile; no target-file key.
    public var reductionOverlap: Double = 0
    /// The hardware's spare rows and bypass links (target key `redundancy:`, docs/redundancy.md);
    /// nil: no hardware repair, every defect of a map lands on the logical fabric.
    public var redundancy: Redundancy? = nil

    /// Columns and rows of the program rectangle (inside the halo).
    public var programWidth: Int { fabricWidth - halo.west - halo.east }
    public var programHeight: Int { fabricHeight - halo.north - halo.south }
    public var programPEs: Int { programWidth * programHeight }
    public var fabricPEs: Int { fabricWidth * fabricHeight }
    /// Physical rows and PEs: the logical fabric plus the spare rows (the same without redundancy).
    public var physicalHeight: Int { redundancy?.physicalHeight(logicalHeight: fabricHeight) ?? fabricHeight }
    public var physicalPEs: Int { fabricWidth * physicalHeight }

    /// Bytes per live PE left for weights and the KV cache.
    public var dataBytesPerPE: Int { sramBytesPerPE - runtimeReserveBytesPerPE - bufferBytesPerPE }

    /// Whether (x, y) lies in the program rectangle.
    public func inProgramArea(x: Int, y: Int) -> Bool {
        x >= halo.west && x < fabricWidth - halo.east && y >= halo.north && y < fabricHeight - halo.south
    }

    /// MACs per cycle for an element type; quantized types are dequantized to fp16 first.
    public func macs(for element: ElementType) -> Double {
        max(macsPerCycle[element] ?? macsPerCycle[.fp16] ?? 1, 1e-6)
    }

    /// Cycles `macs` multiply-accumulates take on one PE at the rate for `element`, rounded up. O(1).
    public func computeCycles(macs count: Int, element: ElementType) -> Int {
        guard count > 0 else { return 0 }
        let cycles = (Double(count) / macs(for: element)).rounded(.up)
        return cycles < 1e15 ? Int(cycles) : Int(1e15)
    }
}

extension Target {
    /// A target from its figures (as a plan records them), held to the ranges the target format
    /// allows (`TargetLimits`, docs/target-format.md). Throws naming the first figure out of range; `owner` names
    /// where the figures came from. O(element types).
    public init(figuresFrom owner: String, name: String, description: String, fabricWidth: Int, fabricHeight: Int, halo: Halo,
                sramBytesPerPE: Int, runtimeReserveBytesPerPE: Int, bufferBytesPerPE: Int, macsPerCycle: [ElementType: Double],
                routableColors: Int, reservedColors: Int, clockMHz: Double, hopLatencyCycles: Int, rampLatencyCycles: Int,
                relayLatencyCycles: Int, layerOverheadCycles: Int, waveletBits: Int, waferLinkGbps: Double,
                waferLinkLatencyNs: Double, reductionOverlap: Double = 0) throws(DiagnosticError) {
        let integers: [(String, Int, ClosedRange<Int>)] = [
            ("fabric width", fabricWidth, 1...TargetLimits.maxFabricSide), ("fabric height", fabricHeight, 1...TargetLimits.maxFabricSide),
            ("halo west", halo.west, 0...TargetLimits.maxHalo), ("halo east", halo.east, 0...TargetLimits.maxHalo),
            ("halo north", halo.north, 0...TargetLimits.maxHalo), ("halo south", halo.south, 0...TargetLimits.maxHalo),
            ("SRAM bytes per PE", sramBytesPerPE, 1...TargetLimits.maxSRAMBytesPerPE),
            ("runtime reserve bytes per PE", runtimeReserveBytesPerPE, 0...TargetLimits.maxSRAMBytesPerPE),
            ("buffer bytes per PE", bufferBytesPerPE, 0...TargetLimits.maxSRAMBytesPerPE), ("routable colors", routableColors, 1...TargetLimits.maxColors),
            ("reserved colors", reservedColors, 0...TargetLimits.maxColors), ("hop latency cycles", hopLatencyCycles, 0...TargetLimits.maxLinkLatencyCycles),
            ("ramp latency cycles", rampLatencyCycles, 0...TargetLimits.maxLinkLatencyCycles),
            ("relay latency cycles", relayLatencyCycles, 0...TargetLimits.maxLinkLatencyCycles),
            ("layer overhead cycles", layerOverheadCycles, 0...TargetLimits.maxLayerOverheadCycles), ("wavelet bits", waveletBits, 1...TargetLimits.maxWaveletBits),
        ]
        for (what, value, range) in integers where !range.contains(value) {
            throw .error(TargetFailure.outOfRange, "\(owner): the target's \(what) is \(value), outside \(range.lowerBound)...\(range.upperBound)", at: nil)
        }
        let reals: [(String, Double, ClosedRange<Double>)] = [
            ("clock (MHz)", clockMHz, TargetLimits.clockMHz), ("wafer link bandwidth (Gb/s)", waferLinkGbps, TargetLimits.waferLinkGbps),
            ("wafer link latency (ns)", waferLinkLatencyNs, TargetLimits.waferLinkLatencyNs), ("reduction overlap", reductionOverlap, 0...1),
        ] + macsPerCycle.sorted { $0.key.rawValue < $1.key.rawValue }.map { ("\($0.key.rawValue) MACs per cycle", $0.value, TargetLimits.macsPerCycle) }
        for (what, value, range) in reals where !range.contains(value) {
            throw .error(TargetFailure.outOfRange, "\(owner): the target's \(what) is \(value), outside \(range.lowerBound)...\(range.upperBound)", at: nil)
        }
        guard halo.west + halo.east < fabricWidth, halo.north + halo.south < fabricHeight else {
            throw .error(TargetFailure.noProgramArea, "\(owner): the target's halo leaves no program area on its \(fabricWidth) x \(fabricHeight) fabric", at: nil)
        }
        guard runtimeReserveBytesPerPE + bufferBytesPerPE < sramBytesPerPE, reservedColors < routableColors, macsPerCycle[.fp16] != nil else {
            throw .error(TargetFailure.noResources, "\(owner): the target leaves no SRAM for data, no colors for the program, or lists no fp16 MAC rate", at: nil)
        }
        self.init(name: name, description: description, fabricWidth: fabricWidth, fabricHeight: fabricHeight, halo: halo,
                  sramBytesPerPE: sramBytesPerPE, runtimeReserveBytesPerPE: runtimeReserveBytesPerPE, bufferBytesPerPE: bufferBytesPerPE,
                  macsPerCycle: macsPerCycle, routableColors: routableColors, reservedColors: reservedColors, clockMHz: clockMHz,
                  hopLatencyCycles: hopLatencyCycles, rampLatencyCycles: rampLatencyCycles, relayLatencyCycles: relayLatencyCycles,
                  layerOverheadCycles: layerOverheadCycles, waveletBits: waveletBits, waferLinkGbps: waferLinkGbps, waferLinkLatencyNs: waferLinkLatencyNs,
                  reductionOverlap: reductionOverlap)
    }
}

/// A target's hardware facts and kernel profile, immutable and shared between copies.
final class PerformanceFacts: Sendable, Hashable {
    let hardware: HardwareFacts?
    let kernels: KernelProfile?
    let defaultKernels: String?

    init(hardware: HardwareFacts? = nil, kernels: KernelProfile? = nil, defaultKernels: String? = nil) {
        self.hardware = hardware; self.kernels = kernels; self.defaultKernels = defaultKernels
    }

    static func == (a: PerformanceFacts, b: PerformanceFacts) -> Bool {
        a.hardware == b.hardware && a.kernels == b.kernels && a.defaultKernels == b.defaultKernels
    }

    func hash(into hasher: inout Hasher) {
        hasher.combine(hardware); hasher.combine(kernels); hasher.combine(defaultKernels)
    }
}
