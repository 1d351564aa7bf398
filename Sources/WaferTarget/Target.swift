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
    /// Multiply-accumulates per cycle per PE, by the element type the PE computes in.
    public var macsPerCycle: [ElementType: Int]
    /// Routable colors (virtual channels) per PE, and how many the runtime reserves.
    public var routableColors: Int
    public var reservedColors: Int
    public var clockMHz: Double
    /// Cycles for a wavelet to cross one link, and between a router and its own PE.
    public var hopLatencyCycles: Int
    public var rampLatencyCycles: Int
    /// Cycles a software relay stage (a PE forwarding through its compute engine) costs.
    public var relayLatencyCycles: Int
    public var waveletBits: Int
    /// Wafer-to-wafer link: gigabits per second each way, and one-way latency.
    public var waferLinkGbps: Double
    public var waferLinkLatencyNs: Double

    /// Columns and rows of the program rectangle (inside the halo).
    public var programWidth: Int { fabricWidth - halo.west - halo.east }
    public var programHeight: Int { fabricHeight - halo.north - halo.south }
    public var programPEs: Int { programWidth * programHeight }
    public var fabricPEs: Int { fabricWidth * fabricHeight }

    /// Bytes per live PE left for weights and the KV cache.
    public var dataBytesPerPE: Int { sramBytesPerPE - runtimeReserveBytesPerPE - bufferBytesPerPE }

    /// Whether (x, y) lies in the program rectangle.
    public func inProgramArea(x: Int, y: Int) -> Bool {
        x >= halo.west && x < fabricWidth - halo.east && y >= halo.north && y < fabricHeight - halo.south
    }

    /// MACs per cycle for an element type; quantized types are dequantized to fp16 first.
    public func macs(for element: ElementType) -> Int {
        macsPerCycle[element] ?? macsPerCycle[.fp16] ?? 1
    }
}
