import WaferIR
import WaferSupport

/// Routing and decode-latency figures of a routed, scheduled graph, for the quality report:
/// colors per PE (max and histogram), relays, link load, exceptions, unresolved routes, and the
/// per-token latency split (compute, on-wafer communication, wafer-to-wafer, elementwise).
public struct RoutingQuality: Sendable, Encodable {
    public struct WaferRow: Sendable, Encodable {
        public var wafer: Int
        public var paletteColors: Int
        public var maxColorsPerPe: Int
        /// `colors_per_pe_histogram[k]` = PEs using exactly k colors.
        public var colorsPerPeHistogram: [Int]
        public var exceptions: Int
        public var relays: Int
        public var maxLinkLoadWavelets: Int
        public var unresolvedRoutes: Int
        /// Exception routes carried by the wafer's overlay, and the PEs it takes.
        public var overlayRoutes: Int
        public var overlayPes: Int
        public var treeClasses: Int
        public var chainClasses: Int
        public var foldedClasses: Int
    }
    public var colorBudget: Int
    public var maxColorsPerPe: Int
    public var relays: Int
    public var maxLinkLoadWavelets: Int
    public var exceptions: Int
    public var unresolvedRoutes: Int
    /// Exception routes no color could carry, forwarded in software over overlay patches
    /// (every hop a relay), and the PEs those patches take.
    public var overlayRoutes: Int
    public var overlayPes: Int
    public var flows: Int
    /// Sequences decoded together in one step (`--batch`); every figure per token is per user.
    public var batch: Int
    public var cyclesPerToken: Int
    public var secondsPerToken: Double
    public var tokensPerS: Double
    public var computeCycles: Int
    public var fabricCycles: Int
    public var waferLinkCycles: Int
    public var elementwiseCycles: Int
    /// Cycles hidden by reductions streaming under their products: the kinds above minus these
    /// sum to `cyclesPerToken`.
    public var overlappedCycles: Int
    /// Cycles remote expert slices run beside their layers' local experts: the kinds above minus
    /// both figures sum to `cyclesPerToken`.
    public var parallelCycles: Int
    public var slowestUnit: String
    public var longestPhase: String
    public var constants: [String]
    public var wafers: [WaferRow]

    /// Nil until the route and schedule passes have run. O(classes + wafers).
    public init?(graph: Graph) {
        guard let routing = graph.routing, let schedule = graph.schedule, let layout = graph.layout else { return nil }
        colorBudget = routing.colorBudget
        maxColorsPerPe = routing.maxColorsPerPE
        relays = routing.relays
        maxLinkLoadWavelets = routing.maxLinkLoadWavelets
        exceptions = routing.exceptions.count
        unresolvedRoutes = routing.unresolved
        overlayRoutes = routing.overlayRoutes
        overlayPes = routing.overlayPEs
        flows = routing.flows.count
        batch = graph.partition?.kvCache.batch ?? 1
        cyclesPerToken = schedule.cyclesPerToken
        secondsPerToken = schedule.secondsPerToken
        tokensPerS = schedule.tokensPerSecond
        computeCycles = schedule.cyclesByKind[.compute] ?? 0
        fabricCycles = schedule.cyclesByKind[.fabric] ?? 0
        waferLinkCycles = schedule.cyclesByKind[.link] ?? 0
        elementwiseCycles = schedule.cyclesByKind[.elementwise] ?? 0
        overlappedCycles = schedule.overlappedCycles
        parallelCycles = schedule.parallelCycles
        let unitName = { (u: Int) in layout.units.indices.contains(u) ? layout.units[u].name : "unit \(u)" }
        slowestUnit = "\(unitName(schedule.slowestUnit)) (\(Units.grouped(schedule.cycles(ofUnit: schedule.slowestUnit))) cycles)"
        if schedule.phases.indices.contains(schedule.longestPhase) {
            let p = schedule.phases[schedule.longestPhase]
            longestPhase = "\(unitName(p.unit)): \(p.label) (\(Units.grouped(p.cycles)) cycles)"
        } else {
            longestPhase = "-"
        }
        constants = schedule.constants
        wafers = routing.wafers.map { s in
            let mine = routing.classes.filter { $0.wafer == s.wafer }
            return WaferRow(wafer: s.wafer, paletteColors: s.classColors, maxColorsPerPe: s.maxColorsPerPE, colorsPerPeHistogram: s.colorHistogram,
                            exceptions: s.exceptions, relays: s.relays, maxLinkLoadWavelets: s.maxLinkLoadWavelets,
                            unresolvedRoutes: s.unresolvedPEs.count, overlayRoutes: s.overlayRoutes, overlayPes: s.overlayPEs.count,
                            treeClasses: mine.filter { $0.foldedInto == nil && $0.mode == .tree }.count,
                            chainClasses: mine.filter { $0.foldedInto == nil && $0.mode == .chain }.count,
                            foldedClasses: mine.filter { $0.foldedInto != nil }.count)
        }
    }

    /// Summary lines (also printed by `count`).
    public func summary() -> String {
        func share(_ c: Int) -> String { PlacementQuality.percent(c, cyclesPerToken) }
        var out = "decode      \(Units.fixed(tokensPerS, digits: 1)) tokens/s per user at batch \(batch): \(Units.grouped(cyclesPerToken)) cycles = \(Units.fixed(secondsPerToken * 1e6, digits: 1)) us per token\n"
        out += "            slowest unit \(slowestUnit); longest phase \(longestPhase)\n"
        out += "routing     max \(maxColorsPerPe) of \(colorBudget) colors per PE; \(Units.grouped(exceptions)) defect exceptions, \(Units.grouped(relays)) relays; max link load \(Units.grouped(maxLinkLoadWavelets)) wavelets per token\n"
        var histogram: [Int] = []
        for w in wafers {
            for (k, n) in w.colorsPerPeHistogram.enumerated() {
                if k >= histogram.count { histogram += Array(repeating: 0, count: k - histogram.count + 1) }
                histogram[k] += n
            }
        }
        let bins = histogram.enumerated().filter { $0.element > 0 }.map { "\($0.offset): \(Units.grouped($0.element))" }
        out += "            PEs by colors in use: \(bins.joined(separator: ", "))\n"
        if overlayRoutes > 0 {
            out += "            \(Units.grouped(overlayRoutes)) routes no color could carry go over overlay patches (\(Units.grouped(overlayPes)) PEs, every hop a relay)\n"
        }
        if unresolvedRoutes > 0 {
            out += "warning     \(Units.grouped(unresolvedRoutes)) exception routes found no color (listed per wafer in --print-ir-after=route); the plan is not executable there\n"
        }
        return out
    }

    public func table() -> String { summary() + "\n" + waferTable() }

    /// One row per wafer, then the constants the times come from.
    public func waferTable() -> String {
        var out = ""
        var w = TextTable([("wafer", .right), ("palette", .right), ("max colors/PE", .right), ("tree/chain/folded", .right),
                           ("exceptions", .right), ("relays", .right), ("max link load", .right), ("overlay routes", .right), ("unresolved", .right)])
        for r in wafers {
            w.add(["\(r.wafer)", "\(r.paletteColors)", "\(r.maxColorsPerPe)", "\(r.treeClasses)/\(r.chainClasses)/\(r.foldedClasses)",
                   Units.grouped(r.exceptions), Units.grouped(r.relays), Units.grouped(r.maxLinkLoadWavelets), Units.grouped(r.overlayRoutes), Units.grouped(r.unresolvedRoutes)])
        }
        out += w.render(indent: "") + "\nconstants:\n" + constants.map { "  \($0)\n" }.joined()
        return out
    }
}
