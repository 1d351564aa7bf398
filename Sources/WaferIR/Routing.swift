import WaferSupport

/// Router ports of a PE: its four mesh neighbours and the ramp to its own compute engine.
public struct Ports: OptionSet, Hashable, Sendable, CustomStringConvertible {
    public let rawValue: UInt8
    public init(rawValue: UInt8) { self.rawValue = rawValue }
    public static let north = Ports(rawValue: 1)
    public static let east = Ports(rawValue: 2)
    public static let south = Ports(rawValue: 4)
    public static let west = Ports(rawValue: 8)
    public static let ramp = Ports(rawValue: 16)
    public var description: String {
        let names: [(Ports, String)] = [(.north, "N"), (.east, "E"), (.south, "S"), (.west, "W"), (.ramp, "R")]
        let s = names.filter { contains($0.0) }.map(\.1).joined()
        return s.isEmpty ? "-" : s
    }
}

/// Which way the lines of a line class run: `rows` lines run east-west, one per row of tile
/// positions (reducing over the columns); `columns` lines run north-south, one per column.
public enum LineAxis: String, Hashable, Sendable {
    case rows
    case columns
}

/// How a line allreduces. `tree`: WaferLLM's two-level tree (G ~ sqrt(P) groups stream toward
/// their middles on two alternating colors, the middles stream toward the root on two
/// pass-through colors, the root multicasts the result back on a fifth): 5 colors.
/// `chain`: the whole line streams toward its middle on two alternating colors and the middle
/// multicasts back (Cerebras's pipeline allreduce): 3 colors, one relay stage per PE.
public enum AllreduceMode: String, Hashable, Sendable {
    case tree
    case chain

    /// Colors one line class of this mode takes at every PE it covers.
    public var colors: Int { self == .tree ? 5 : 3 }
}

/// A family of parallel line allreduces over a rectangle of tile positions of one slot: the
/// regular, symbolic part of the routing. Line `i` of a `rows` class is row `rows.lowerBound + i`
/// of the slot's tile grid, cut into independent segments of `segment` positions (expert cells);
/// tile positions map to PEs by `WaferTiling.physicalColumn`. Every line of the class uses the
/// same colors with the same per-PE configuration, so all flows of the class share them.
public struct LineClass: Hashable, Sendable {
    public var id: Int
    public var wafer: Int
    public var slot: Int
    /// `slot` (the whole slot) or `cells` (expert cells).
    public var scope: String
    public var axis: LineAxis
    /// Logical tile columns and rows the class covers.
    public var columns: Range<Int>
    public var rows: Range<Int>
    /// Positions per independent allreduce along a line.
    public var segment: Int
    public var mode: AllreduceMode
    /// Groups of the two-level tree per segment (1 for a chain).
    public var groups: Int
    /// Color ids: stream (2), leader pass-through (2, tree only), broadcast (1).
    public var colors: [Int]
    /// Wavelets per decode step that cross each link of a line (reduce and broadcast passes, all flows).
    public var loadWavelets: Int
    /// Set when the class gave up its colors to relieve congestion: its allreduces then run on
    /// that (slot column) class, carrying one partial per cell band (`bands`).
    public var foldedInto: Int?
    /// Defect exceptions on this class, and the worst line's extra cycles from them.
    public var exceptions: Int
    public var penaltyCycles: Int

    public init(id: Int, wafer: Int, slot: Int, scope: String, axis: LineAxis, columns: Range<Int>, rows: Range<Int>,
                segment: Int, mode: AllreduceMode, groups: Int, colors: [Int]) {
        self.id = id; self.wafer = wafer; self.slot = slot; self.scope = scope; self.axis = axis
        self.columns = columns; self.rows = rows; self.segment = segment; self.mode = mode; self.groups = groups
        self.colors = colors; self.foldedInto = nil; self.loadWavelets = 0; self.exceptions = 0; self.penaltyCycles = 0
    }

    /// Number of lines and positions per line.
    public var lineCount: Int { axis == .rows ? rows.count : columns.count }
    public var lineLength: Int { axis == .rows ? columns.count : rows.count }
    /// Independent segments along one line (cell bands for a cell class).
    public var bands: Int { max(1, (lineLength + segment - 1) / max(segment, 1)) }
}

/// What part of an allreduce (or hand-off) an exception route replaces.
public enum ExceptionRole: String, Hashable, Sendable {
    /// One processor-to-processor hop of a group (or chain) stream.
    case stream
    /// A pass-through segment between two group middles.
    case leader
    /// A stretch of the root's broadcast, relayed around a defect (a relay at each end).
    case broadcast
    /// One lane of a hand-off bundle, relayed around a defect.
    case lane
}

/// A route the regular pattern could not take because of a defect or a substituted tile: an
/// explicit path of PEs, source first, with the colors it uses. The only per-hop routing data.
public struct RouteException: Hashable, Sendable {
    /// The line class (or, for `lane`, the bundle) it belongs to.
    public var owner: Int
    public var role: ExceptionRole
    /// Every transfer that shares the path (in different phases of the decode step): its role
    /// and its owner (line class or bundle).
    public var carries: [ExceptionRole]
    public var sharedBy: [Int]
    /// Line (or lane) index within its owner, and the position pair it connects.
    public var line: Int
    public var position: Int
    /// PE ids (`y * fabricWidth + x`) from source to sink; consecutive PEs are mesh neighbours.
    public var path: [Int32]
    /// Color runs: `colors[k]` is used from path index `runStarts[k]` on; a relay sits at every
    /// later run start (it holds both colors). Empty when the route is unresolved.
    public var colors: [Int]
    public var runStarts: [Int]
    /// Hops beyond the regular route's, and software relays it adds.
    public var extraHops: Int
    public var relays: Int
    /// Carried by its wafer's overlay (`WaferRoutingSummary.overlayPEs`): every hop is a relay,
    /// on the sending PE's overlay color, and the colors are shared with the overlay's other routes.
    public var overlay: Bool

    public init(owner: Int, role: ExceptionRole, line: Int, position: Int, path: [Int32], extraHops: Int) {
        self.owner = owner; self.role = role; self.carries = [role]; self.sharedBy = [owner]; self.line = line; self.position = position; self.path = path
        self.colors = []; self.runStarts = []; self.extraHops = extraHops; self.relays = 0; self.overlay = false
    }
}

/// A bundle of parallel lanes carrying a vector from one region to another: lane `i` starts at
/// (`sourceColumn(i)`, `sourceRow + i * rowStep`), runs vertically to row `sinkRow + i * rowStep`,
/// then horizontally to `sinkColumn` (or stays in its column when `sinkColumn` is nil). The
/// lanes are disjoint by construction (their turn columns are staggered), so one color serves all.
public struct RouteBundle: Hashable, Sendable {
    public var id: Int
    public var wafer: Int
    /// `group 0 -> group 1`, `wafer input -> group 0`, `group 3 -> wafer output`.
    public var label: String
    public var lanes: Int
    public var sourceRow: Int
    public var sinkRow: Int
    public var rowStep: Int
    public var firstColumn: Int
    /// +1, -1 or 0: how the source column changes from lane to lane.
    public var columnStep: Int
    public var sinkColumn: Int?
    /// The slot whose row class fans the lanes out on arrival (nil at a wafer edge).
    public var sinkSlot: Int?
    /// Fabric columns (sorted) that lanes skip when stepping across the source slot: its spare
    /// columns, which hold no copy of the vector.
    public var skipColumns: [Int]
    public var color: Int
    /// Longest lane in hops, and wavelets per lane per decode step.
    public var hops: Int
    public var loadWavelets: Int
    public var exceptions: Int
    public var penaltyCycles: Int

    public init(id: Int, wafer: Int, label: String, lanes: Int, sourceRow: Int, sinkRow: Int, rowStep: Int,
                firstColumn: Int, columnStep: Int, sinkColumn: Int?, sinkSlot: Int?) {
        self.id = id; self.wafer = wafer; self.label = label; self.lanes = lanes; self.sourceRow = sourceRow
        self.sinkRow = sinkRow; self.rowStep = rowStep; self.firstColumn = firstColumn; self.columnStep = columnStep
        self.sinkColumn = sinkColumn; self.sinkSlot = sinkSlot; self.skipColumns = []; self.color = -1; self.hops = 0; self.loadWavelets = 0
        self.exceptions = 0; self.penaltyCycles = 0
    }

    /// Source and sink of lane `i`, as (x, y) fabric coordinates. O(1).
    public func source(lane i: Int) -> (x: Int, y: Int) {
        var x = firstColumn + columnStep * i
        if columnStep > 0 {
            for s in skipColumns where s >= firstColumn && s <= x { x += 1 }
        } else if columnStep < 0 {
            for s in skipColumns.reversed() where s <= firstColumn && s >= x { x -= 1 }
        }
        return (x, sourceRow + rowStep * i)
    }
    public func sink(lane i: Int) -> (x: Int, y: Int) {
        let s = source(lane: i)
        return (sinkColumn ?? s.x, sinkRow + rowStep * i)
    }
    /// The corner of lane `i`: the end of its vertical run.
    public func corner(lane i: Int) -> (x: Int, y: Int) { (source(lane: i).x, sinkRow + rowStep * i) }
}

/// What a flow moves.
public enum FlowKind: String, Hashable, Sendable {
    /// An allreduce along the lines of a line class (partial sums, norms, softmax, argmax).
    case allreduce
    /// The activation vector from one stacking group's slot to the next, over a bundle.
    case handoff
    /// The activation vector (or an expert dispatch and its combined result) between wafers.
    case waferLink = "wafer-link"
}

/// One transfer of a decode step.
public struct Flow: Hashable, Sendable {
    public var id: Int
    /// Index into `Layout.units` of the unit it belongs to (for hand-offs: the receiving unit).
    public var unit: Int
    public var op: Int?
    public var kind: FlowKind
    /// `qkv`, `scores`, `o_proj`, `experts gate+up`, `combine`, `group 0 -> 1`...
    public var label: String
    public var lineClass: Int?
    public var bundles: [Int]
    /// Elements each line (or lane) carries, in the activation type; for wafer links, bytes.
    public var payloadWavelets: Int
    public init(id: Int, unit: Int, op: Int?, kind: FlowKind, label: String, lineClass: Int?, bundles: [Int], payloadWavelets: Int) {
        self.id = id; self.unit = unit; self.op = op; self.kind = kind; self.label = label
        self.lineClass = lineClass; self.bundles = bundles; self.payloadWavelets = payloadWavelets
    }
}

/// Per-wafer routing figures for reports.
public struct WaferRoutingSummary: Hashable, Sendable {
    public var wafer: Int
    /// Colors the line classes take (the same palette on every slot).
    public var classColors: Int
    public var maxColorsPerPE: Int
    /// `colorHistogram[k]` = PEs of the wafer that use exactly k colors.
    public var colorHistogram: [Int]
    public var relays: Int
    public var maxLinkLoadWavelets: Int
    public var exceptions: Int
    /// PathFinder iterations until no PE held more exception routes than it had free colors.
    public var negotiationIterations: Int
    /// Where an exception route found no color even after every allreduce of its slot became a
    /// chain (one PE per such route): the routing is incomplete there, and reports say so.
    public var unresolvedPEs: [Int32]
    /// The overlay: PEs (sorted ids) that give two colors to software forwarding for the routes
    /// no color could carry. `overlayColors` = [color a PE with (x + y) even sends on (and an odd
    /// one receives on), color an odd PE sends on]; empty without an overlay.
    public var overlayPEs: [Int32]
    public var overlayColors: [Int]
    /// Exception routes carried by the overlay.
    public var overlayRoutes: Int
    /// Extra hops the hardware's spare-row bypasses add to any row line and any column line of
    /// the wafer (upper bounds, `RepairSummary`; 0 without hardware repair). docs/redundancy.md.
    public var bypassHopsRows = 0, bypassHopsColumns = 0
    /// The row figure by where a line runs (nil: every row line pays `bypassHopsRows`).
    public var rowBypass: RowBypassProfile?
    public init(wafer: Int) {
        self.wafer = wafer; classColors = 0; maxColorsPerPE = 0; colorHistogram = []; relays = 0
        maxLinkLoadWavelets = 0; exceptions = 0; negotiationIterations = 0; unresolvedPEs = []
        overlayPEs = []; overlayColors = []; overlayRoutes = 0
    }
}

/// The spare-row bypass hops a row line pays by where it runs (docs/redundancy.md): per
/// redundancy block of `blockRows` logical rows and window of `windowColumns` fabric columns, the
/// bypass costs of the column boundaries in it (block-major, `windowsPerBlock` a block), plus
/// `linkHops` (dead east links) any row line may meet, capped by the whole wafer's figure.
public struct RowBypassProfile: Hashable, Sendable {
    public var windows: [Int]
    public var windowColumns: Int
    public var windowsPerBlock: Int
    public var blockRows: Int
    public var linkHops: Int
    public var wholeWafer: Int
    public init(windows: [Int], windowColumns: Int, windowsPerBlock: Int, blockRows: Int, linkHops: Int, wholeWafer: Int) {
        self.windows = windows; self.windowColumns = windowColumns; self.windowsPerBlock = windowsPerBlock
        self.blockRows = blockRows; self.linkHops = linkHops; self.wholeWafer = wholeWafer
    }

    /// Hops a row line across fabric columns `columns` in logical fabric rows `rows` pays: the
    /// largest, over the blocks the rows touch, sum of the windows the columns touch, plus
    /// `linkHops`, at most `wholeWafer`. O(blocks x windows touched).
    public func hops(columns: Range<Int>, rows: Range<Int>) -> Int {
        guard windowsPerBlock > 0, blockRows > 0, windowColumns > 0, !columns.isEmpty, !rows.isEmpty,
              windows.count % windowsPerBlock == 0, !windows.isEmpty else { return wholeWafer }
        let blocks = windows.count / windowsPerBlock
        let firstBlock = min(blocks - 1, max(0, rows.lowerBound / blockRows)), lastBlock = min(blocks - 1, max(0, (rows.upperBound - 1) / blockRows))
        let firstWindow = min(windowsPerBlock - 1, max(0, columns.lowerBound / windowColumns))
        let lastWindow = min(windowsPerBlock - 1, max(0, (columns.upperBound - 1) / windowColumns))
        var worst = 0
        for b in firstBlock...lastBlock {
            worst = max(worst, (firstWindow...lastWindow).reduce(0) { $0 + windows[b * windowsPerBlock + $1] })
        }
        return min(wholeWafer, worst + linkHops)
    }
}

/// Every route, color and flow of one decode step (the route pass's result).
public struct Routing: Hashable, Sendable {
    /// Colors the program may use at each PE (routable minus reserved).
    public var colorBudget: Int
    /// Fabric width, to turn PE ids back into coordinates.
    public var fabricWidth: Int
    public var classes: [LineClass]
    public var bundles: [RouteBundle]
    public var exceptions: [RouteException]
    public var flows: [Flow]
    public var wafers: [WaferRoutingSummary]
    /// Nodes and edges of the channel-dependency graph that was checked acyclic.
    public var dependencyNodes: Int
    public var dependencyEdges: Int

    public init(colorBudget: Int, fabricWidth: Int) {
        self.colorBudget = colorBudget; self.fabricWidth = fabricWidth; classes = []; bundles = []; exceptions = []; flows = []; wafers = []
        dependencyNodes = 0; dependencyEdges = 0
    }

    public var relays: Int { wafers.reduce(0) { $0 + $1.relays } }
    /// Exception routes left without a color (0 for a complete routing).
    public var unresolved: Int { wafers.reduce(0) { $0 + $1.unresolvedPEs.count } }
    /// Exception routes carried by overlays, and the PEs the overlays take, over all wafers.
    public var overlayRoutes: Int { wafers.reduce(0) { $0 + $1.overlayRoutes } }
    public var overlayPEs: Int { wafers.reduce(0) { $0 + $1.overlayPEs.count } }
    public var maxColorsPerPE: Int { wafers.map(\.maxColorsPerPE).max() ?? 0 }
    public var maxLinkLoadWavelets: Int { wafers.map(\.maxLinkLoadWavelets).max() ?? 0 }
}
