import WaferIR
import WaferSupport
import WaferTarget

/// What a wafer's tiles can hold, known while the partition packs it: the tile pass's own
/// stacking rule followed on every slot geometry the tile pass would try, one piece at a time.
///
/// The tile pass (`TilePass.tileWafer`) accepts a wafer when, for some grid of `columns x rows`
/// slots, trying spare-column counts in order, a count is reached whose slots stack the wafer's
/// units next-fit (`TilePass.stack`: per-PE bytes from `TilePass.evaluate`, padding included,
/// within the PE's budget; a tied head in its owner's group) into at most its usable slots,
/// before any count at which a unit does not fit a slot at all. `WaferFit` keeps that stacking
/// for every such geometry as pieces arrive in model order, so the partition asks "does this
/// piece still tile here?" before it places it, instead of packing bytes and re-partitioning
/// with less fill when the padding overflows. Pieces only add bytes, so a geometry that rejects
/// one is dropped for the rest of the wafer, and one whose unit does not fit a slot drops the
/// grid's wider spare counts too, as the tile pass stops there. A wafer the fit accepts tiles.
/// Cost: O(live geometries) per piece.
struct WaferFit {
    /// One slot geometry: its size, how many of its slots are usable on this wafer, and its grid
    /// (geometries of one grid are consecutive, in the spare-column order the tile pass tries).
    struct Geometry: Hashable, Sendable {
        var width: Int
        var height: Int
        var usable: Int
        var grid: Int
        /// The slot size's index in `TilePieces`' byte tables (one per distinct `width x height`).
        var size = -1
    }

    /// The next-fit stacking on one geometry before the last piece: the groups opened, the open
    /// group's bytes, the last piece's bytes (an expert split may still grow it), and the tied
    /// head's group with that group's bytes once it closed.
    struct Stack: Sendable {
        var groups = 0
        var open = 0
        var last: Int?
        var headGroup: Int?
        var headClosed = 0
    }

    /// What the stacking would be with the last piece in it.
    struct Settled {
        var groups: Int
        var open: Int
        var headBytes: Int?
    }

    /// A geometry's standing: it may hold the wafer; it needs more slots than are usable (its
    /// stacking is still followed, since a piece that does not fit its slot ends the grid's
    /// wider spare counts, as in the tile pass); or it is out.
    enum Status: UInt8 { case live, tooManyGroups, out }

    let geometries: [Geometry]
    let budget: Int
    private(set) var stacks: [Stack]
    private(set) var status: [Status]
    /// The tied head's bytes per geometry, reserved in its owner's group.
    private var head: [Int]?

    init(geometries: [Geometry], budget: Int) {
        self.geometries = geometries
        self.budget = budget
        stacks = Array(repeating: Stack(), count: geometries.count)
        status = Array(repeating: .live, count: geometries.count)
    }

    /// `s` with `last` stacked next-fit. O(1).
    func settle(_ s: Stack, last: Int) -> Settled {
        let joins = s.groups > 0 && s.open + last <= budget
        let groups = joins ? s.groups : s.groups + 1, open = joins ? s.open + last : last
        var headBytes: Int?
        if let group = s.headGroup { headBytes = group == groups - 1 ? open : (group == s.groups - 1 ? s.open : s.headClosed) }
        return Settled(groups: groups, open: open, headBytes: headBytes)
    }

    /// Geometry `g`'s standing with `s` (whose last piece is `last`): `.out` when a piece, or the
    /// tied head's group, does not fit one slot; `.tooManyGroups` when it needs more slots than
    /// are usable. O(1).
    func standing(_ g: Int, _ s: Stack, last: Int) -> Status {
        guard last <= budget else { return .out }
        let settled = settle(s, last: last)
        if let bytes = settled.headBytes, let head, bytes + head[g] > budget { return .out }
        return settled.groups <= geometries[g].usable ? .live : .tooManyGroups
    }

    /// `s` with its last piece closed into its groups. O(1).
    func closed(_ s: Stack) -> Stack {
        guard let last = s.last else { return s }
        let settled = settle(s, last: last)
        var next = s
        if let group = s.headGroup, group != settled.groups - 1, let bytes = settled.headBytes { next.headClosed = bytes }
        next.groups = settled.groups
        next.open = settled.open
        next.last = nil
        return next
    }

    /// Whether a new piece of `bytes(geometry)` per PE would still tile. O(geometries).
    func canAdd(_ bytes: (Geometry) -> Int) -> Bool {
        var copy = self
        return copy.add(bytes, commit: false)
    }

    /// Whether growing the last piece to `bytes(geometry)` would still tile. O(geometries).
    func canGrowLast(_ bytes: (Geometry) -> Int) -> Bool {
        var copy = self
        return copy.growLast(bytes, commit: false)
    }

    /// Adds a new piece; false, and nothing changed, when no geometry would hold it. O(geometries).
    @discardableResult
    mutating func add(_ bytes: (Geometry) -> Int, commit: Bool = true) -> Bool { apply(.add, bytes, commit: commit) }

    /// Grows the last piece to `bytes(geometry)`; false, and nothing changed, when no geometry
    /// would hold it. O(geometries).
    @discardableResult
    mutating func growLast(_ bytes: (Geometry) -> Int, commit: Bool = true) -> Bool { apply(.grow, bytes, commit: commit) }

    /// Reserves the tied head's per-PE bytes in the group of the piece added last (the tile pass
    /// stacks a tied head with the unit whose weight it reads). False, and nothing changed, when
    /// no geometry would hold it. O(geometries).
    mutating func reserveHead(_ bytes: (Geometry) -> Int) -> Bool {
        let saved = head
        head = geometries.map(bytes)
        let placed = apply(.reserveHead, { _ in 0 }, commit: true)
        if !placed { head = saved }
        return placed
    }

    enum Step { case add, grow, reserveHead }

    /// The stack of geometry `g` after `step`. O(1).
    private func stepped(_ g: Int, _ step: Step, _ bytes: (Geometry) -> Int) -> Stack {
        var next = stacks[g]
        switch step {
        case .add:
            next = closed(next)
            next.last = bytes(geometries[g])
        case .grow:
            next.last = bytes(geometries[g])
        case .reserveHead:
            if let last = next.last { next.headGroup = settle(next, last: last).groups - 1 }
        }
        return next
    }

    /// Moves every geometry still followed through `step` and re-ranks it (a grid whose piece
    /// does not fit a slot loses its wider spare counts); with `commit`, stores the result when
    /// some geometry stays live. Whether one does. O(geometries).
    private mutating func apply(_ step: Step, _ bytes: (Geometry) -> Int, commit: Bool) -> Bool {
        var stacksAfter = commit ? stacks : [], statusAfter = commit ? status : []
        var any = false
        var outGrid = -1
        for g in geometries.indices where status[g] != .out {
            if geometries[g].grid == outGrid {
                if commit { statusAfter[g] = .out }
                continue
            }
            let candidate = stepped(g, step, bytes)
            let standing = standing(g, candidate, last: candidate.last ?? 0)
            let after: Status = standing == .live && status[g] == .tooManyGroups ? .tooManyGroups : standing
            if after == .live {
                any = true
                // A dry run needs one geometry that holds: earlier ones of its grid are settled.
                if !commit { return true }
            }
            if after == .out { outGrid = geometries[g].grid }
            if commit {
                statusAfter[g] = after
                stacksAfter[g] = candidate
            }
        }
        if commit && any {
            stacks = stacksAfter
            status = statusAfter
        }
        return any
    }
}

extension WaferFit {
    /// The geometries the tile pass tries on a wafer with `dead` program-area PEs: every grid of
    /// up to `config.maxGridSlots` slots per axis (or the fixed slot's grid), each with its
    /// spare-column counts in order up to the first that leaves every slot usable (wider ones
    /// only narrow the slots), those with no usable slot left out. O(grids x spares x dead PEs).
    static func geometries(target: Target, dead: ProgramDead, config: TileConfig, fixedSlot: SlotShape?) -> [Geometry] {
        let programWidth = target.programWidth, programHeight = target.programHeight
        let grids: [(Int, Int)] = fixedSlot == nil
            ? (1...min(config.maxGridSlots, programHeight)).flatMap { r in (1...min(config.maxGridSlots, programWidth)).map { ($0, r) } } : [(0, 0)]
        var result: [Geometry] = []
        for (index, (searchedColumns, searchedRows)) in grids.enumerated() {
            for spare in config.spareColumns {
                var (columns, rows) = (searchedColumns, searchedRows)
                var w = (programWidth - columns * spare) / max(columns, 1), h = programHeight / max(rows, 1)
                if let fixed = fixedSlot {
                    (columns, rows) = fixed.grid(programWidth: programWidth, programHeight: programHeight, spare: spare)
                    (w, h) = (fixed.width, fixed.height)
                    guard columns >= 1, rows >= 1 else { break }
                }
                guard w >= 1, h >= 1 else { break }
                let usable = TilePass.usableSlots(dead, columns: columns, rows: rows, width: w, height: h, spare: spare).filter { $0 }.count
                if usable > 0 { result.append(Geometry(width: w, height: h, usable: usable, grid: index)) }
                if usable == columns * rows { break }
            }
        }
        return result
    }
}
