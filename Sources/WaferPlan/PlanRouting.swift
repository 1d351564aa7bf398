/// The routes of a plan: symbolic line classes and bundles, and the explicit exception routes.
public struct PlanRouting: Codable, Sendable, Equatable {
    /// Colors the program may use at each PE (routable minus reserved).
    public var colorBudget: Int
    public var classes: [PlanClass]
    public var bundles: [PlanBundle]
    /// Column-wise in memory (one list per field, row `k` of each is exception `k`); in the file
    /// one line of text per route (`PlanRouteText`): a Kimi K2 plan lists about 140,000, and
    /// field names repeated per row would triple the file.
    public var exceptions: PlanExceptions
    public var flows: [PlanFlow]
    public init(colorBudget: Int, classes: [PlanClass], bundles: [PlanBundle], exceptions: PlanExceptions, flows: [PlanFlow]) {
        self.colorBudget = colorBudget; self.classes = classes; self.bundles = bundles; self.exceptions = exceptions; self.flows = flows
    }
}

/// The allreduce lines of one slot along one axis: every row (axis `rows`) or column (`columns`)
/// of the slot's logical `columns x rows` rectangle, cut into segments of `segment` PEs, each an
/// allreduce on `colors` (a tree takes 5: two stream, two leader pass-through, one broadcast; a
/// chain 3). A row line enters every PE of its row, from the west and leaves east (and back),
/// a column line every home PE of its column; ports follow from the axis.
public struct PlanClass: Codable, Sendable, Equatable {
    public var id: Int
    public var wafer: Int
    public var slot: Int
    /// `slot` or `cells WxH`.
    public var scope: String
    public var axis: PlanAxis
    /// Logical column and row ranges `[first, end)` within the slot.
    public var columns: [Int]
    public var rows: [Int]
    public var segment: Int
    /// `tree` or `chain`, and the tree's number of groups.
    public var mode: PlanReductionMode
    public var groups: Int
    public var colors: [Int]
    /// Set when the class has no colors of its own and runs on this class's lines.
    public var foldedInto: Int?
    public var loadWavelets: Int
    public var exceptions: Int
    public var penaltyCycles: Int
    public init(id: Int, wafer: Int, slot: Int, scope: String, axis: PlanAxis, columns: [Int], rows: [Int], segment: Int, mode: PlanReductionMode, groups: Int,
                colors: [Int], foldedInto: Int?, loadWavelets: Int, exceptions: Int, penaltyCycles: Int) {
        self.id = id; self.wafer = wafer; self.slot = slot; self.scope = scope; self.axis = axis; self.columns = columns; self.rows = rows
        self.segment = segment; self.mode = mode; self.groups = groups; self.colors = colors; self.foldedInto = foldedInto
        self.loadWavelets = loadWavelets; self.exceptions = exceptions; self.penaltyCycles = penaltyCycles
    }
}

/// Parallel lanes on one color: lane `i` starts at column `first_column + column_step * i`
/// (stepping over `skip_columns`), row `source_row + row_step * i`, runs vertically to row
/// `sink_row + row_step * i`, then horizontally to `sink_column` (or ends there when it is null).
public struct PlanBundle: Codable, Sendable, Equatable {
    public var id: Int
    public var wafer: Int
    public var label: String
    public var lanes: Int
    public var sourceRow: Int
    public var sinkRow: Int
    public var rowStep: Int
    public var firstColumn: Int
    public var columnStep: Int
    public var skipColumns: [Int]
    public var sinkColumn: Int?
    public var color: Int
    public var hops: Int
    public var loadWavelets: Int
    public var exceptions: Int
    public var penaltyCycles: Int
    public init(id: Int, wafer: Int, label: String, lanes: Int, sourceRow: Int, sinkRow: Int, rowStep: Int, firstColumn: Int, columnStep: Int,
                skipColumns: [Int], sinkColumn: Int?, color: Int, hops: Int, loadWavelets: Int, exceptions: Int, penaltyCycles: Int) {
        self.id = id; self.wafer = wafer; self.label = label; self.lanes = lanes; self.sourceRow = sourceRow; self.sinkRow = sinkRow
        self.rowStep = rowStep; self.firstColumn = firstColumn; self.columnStep = columnStep; self.skipColumns = skipColumns
        self.sinkColumn = sinkColumn; self.color = color; self.hops = hops; self.loadWavelets = loadWavelets
        self.exceptions = exceptions; self.penaltyCycles = penaltyCycles
    }

    /// Source of lane `i` as (x, y). O(skip columns).
    public func source(lane i: Int) -> (x: Int, y: Int) {
        var x = firstColumn + columnStep * i
        if columnStep > 0 {
            for s in skipColumns where s >= firstColumn && s <= x { x += 1 }
        } else if columnStep < 0 {
            for s in skipColumns.reversed() where s <= firstColumn && s >= x { x -= 1 }
        }
        return (x, sourceRow + rowStep * i)
    }

    /// Lane `i`'s PEs: the vertical run, then the horizontal one. O(lane length).
    public func lane(_ i: Int) -> [(x: Int, y: Int)] {
        let s = source(lane: i)
        let cornerY = sinkRow + rowStep * i, endX = sinkColumn ?? s.x
        var path: [(x: Int, y: Int)] = [s]
        var x = s.x, y = s.y
        while y != cornerY { y += cornerY > y ? 1 : -1; path.append((x, y)) }
        while x != endX { x += endX > x ? 1 : -1; path.append((x, y)) }
        return path
    }
}

/// A route a defect forced off the regular pattern: it starts at PE `start` and takes `moves`
/// (one letter per hop: `N`, `E`, `S`, `W`). At each PE the route's color arrives from the port
/// opposite the previous move (from the ramp at the start) and leaves by the next move's port
/// (to the ramp at the end). `colors[k]` is used from hop index `run_starts[k]` on; a relay PE
/// (every later run start) receives on the previous color and re-sends on the next. On the
/// overlay (`overlay`: true) every hop is a relay on the sending PE's overlay color.
public struct PlanException: Sendable, Equatable {
    public var wafer: Int
    /// `class` or `bundle`, and its id.
    public var ownerKind: PlanOwnerKind
    public var owner: Int
    /// `stream`, `leader`, `broadcast`, `lane`; `carries`: every transfer sharing the path.
    public var role: PlanRouteRole
    public var carries: [PlanRouteRole]
    public var line: Int
    public var position: Int
    public var start: Int32
    public var moves: String
    public var colors: [Int]
    public var runStarts: [Int]
    public var overlay: Bool
    public var extraHops: Int
    public var relays: Int
    public init(wafer: Int, ownerKind: PlanOwnerKind, owner: Int, role: PlanRouteRole, carries: [PlanRouteRole], line: Int, position: Int, start: Int32, moves: String,
                colors: [Int], runStarts: [Int], overlay: Bool, extraHops: Int, relays: Int) {
        self.wafer = wafer; self.ownerKind = ownerKind; self.owner = owner; self.role = role; self.carries = carries; self.line = line
        self.position = position; self.start = start; self.moves = moves; self.colors = colors; self.runStarts = runStarts
        self.overlay = overlay; self.extraHops = extraHops; self.relays = relays
    }

    /// The colors the route holds at path index `i` of `pathCount` PEs: run `r` holds its color
    /// from `run_starts[r]` through the next run's start (a relay PE holds both). O(runs).
    public func colorMask(at i: Int, pathCount: Int) -> UInt64 {
        var mask: UInt64 = 0
        for (r, start) in runStarts.enumerated() where r < colors.count && colors[r] >= 0 && colors[r] < 64 {
            let end = r + 1 < runStarts.count ? runStarts[r + 1] : pathCount - 1
            if start <= i && i <= end { mask |= UInt64(1) << UInt64(colors[r]) }
        }
        return mask
    }

    /// The PE ids along the route, decoded from `start` and `moves`; nil when a move is not one
    /// of N, E, S, W or leaves a `width x height` fabric. O(moves).
    public func path(width: Int, height: Int) -> [Int32]? { Self.path(start: start, moves: moves, width: width, height: height) }

    /// The PE ids of a route from `start` taking `moves`, without building the route's row (what
    /// the checks call per route). O(moves).
    public static func path(start: Int32, moves: String, width: Int, height: Int) -> [Int32]? {
        guard width > 0, start >= 0, Int(start) < width * height else { return nil }
        var x = Int(start) % width, y = Int(start) / width
        var path: [Int32] = [start]
        path.reserveCapacity(moves.utf8.count + 1)
        for move in moves.utf8 {
            switch move {
            case UInt8(ascii: "N"): y -= 1
            case UInt8(ascii: "S"): y += 1
            case UInt8(ascii: "E"): x += 1
            case UInt8(ascii: "W"): x -= 1
            default: return nil
            }
            guard x >= 0, y >= 0, x < width, y < height else { return nil }
            path.append(Int32(y * width + x))
        }
        return path
    }
}

/// The exception routes, one list per `PlanException` field (`carries` joined by commas). Written
/// as one string per route (`PlanRouteText`, format 4).
public struct PlanExceptions: Sendable, Equatable {
    public var wafer: [Int] = []
    public var ownerKind: [PlanOwnerKind] = []
    public var owner: [Int] = []
    public var role: [PlanRouteRole] = []
    public var carries: [String] = []
    public var line: [Int] = []
    public var position: [Int] = []
    public var start: [Int32] = []
    public var moves: [String] = []
    public var colors: [[Int]] = []
    public var runStarts: [[Int]] = []
    public var overlay: [Bool] = []
    public var extraHops: [Int] = []
    public var relays: [Int] = []

    public init(_ rows: [PlanException] = []) {
        for e in rows { append(e) }
    }

    public mutating func append(_ e: PlanException) {
        wafer.append(e.wafer); ownerKind.append(e.ownerKind); owner.append(e.owner); role.append(e.role)
        carries.append(e.carries.count == 1 ? e.carries[0].rawValue : e.carries.map(\.rawValue).joined(separator: ",")); line.append(e.line); position.append(e.position); start.append(e.start)
        moves.append(e.moves); colors.append(e.colors); runStarts.append(e.runStarts); overlay.append(e.overlay)
        extraHops.append(e.extraHops); relays.append(e.relays)
    }

    public var count: Int { wafer.count }

    /// Row indices of each wafer's exceptions, in order. O(count).
    public func rowsByWafer() -> [Int: [Int]] {
        var rows: [Int: [Int]] = [:]
        for k in wafer.indices { rows[wafer[k], default: []].append(k) }
        return rows
    }

    /// Whether every list has `count` entries.
    public var isRectangular: Bool {
        let n = count
        return [ownerKind.count, owner.count, role.count, carries.count, line.count, position.count, start.count, moves.count,
                colors.count, runStarts.count, overlay.count, extraHops.count, relays.count].allSatisfy { $0 == n }
    }

    /// Exception `k` as a row; `k` must be below `count` and the lists rectangular.
    public subscript(k: Int) -> PlanException {
        PlanException(wafer: wafer[k], ownerKind: ownerKind[k], owner: owner[k], role: role[k],
                      carries: carries[k].split(separator: ",").compactMap { PlanRouteRole(rawValue: String($0)) }, line: line[k], position: position[k], start: start[k],
                      moves: moves[k], colors: colors[k], runStarts: runStarts[k], overlay: overlay[k], extraHops: extraHops[k], relays: relays[k])
    }
}

/// One transfer of a decode step: an allreduce on a line class, a hand-off over bundles, or a
/// wafer-to-wafer link.
public struct PlanFlow: Codable, Sendable, Equatable {
    public var id: Int
    public var unit: Int
    public var kind: PlanFlowKind
    public var label: String
    public var lineClass: Int?
    public var bundles: [Int]
    public var payloadWavelets: Int
    public init(id: Int, unit: Int, kind: PlanFlowKind, label: String, lineClass: Int?, bundles: [Int], payloadWavelets: Int) {
        self.id = id; self.unit = unit; self.kind = kind; self.label = label; self.lineClass = lineClass; self.bundles = bundles
        self.payloadWavelets = payloadWavelets
    }
}

/// The timed phases of one decode step and the predicted figures.
public struct PlanSchedule: Codable, Sendable, Equatable {
    public var clockMhz: Double
    public var cyclesPerToken: Int
    public var tokensPerS: Double
    /// Cycles per phase kind (`compute`, `fabric`, `link`, `elementwise`).
    public var cyclesByKind: [String: Int]
    public var slowestUnit: Int
    public var phases: [PlanPhase]
    /// Each constant the times come from, with its target field.
    public var constants: [String]
    public init(clockMhz: Double, cyclesPerToken: Int, tokensPerS: Double, cyclesByKind: [String: Int], slowestUnit: Int, phases: [PlanPhase], constants: [String]) {
        self.clockMhz = clockMhz; self.cyclesPerToken = cyclesPerToken; self.tokensPerS = tokensPerS; self.cyclesByKind = cyclesByKind
        self.slowestUnit = slowestUnit; self.phases = phases; self.constants = constants
    }
}

/// A phase: `[start_cycle, end_cycle)` of the decode step.
public struct PlanPhase: Codable, Sendable, Equatable {
    public var unit: Int
    public var kind: PlanPhaseKind
    public var label: String
    public var flow: Int?
    public var startCycle: Int
    public var endCycle: Int
    public init(unit: Int, kind: PlanPhaseKind, label: String, flow: Int?, startCycle: Int, endCycle: Int) {
        self.unit = unit; self.kind = kind; self.label = label; self.flow = flow; self.startCycle = startCycle; self.endCycle = endCycle
    }
}
