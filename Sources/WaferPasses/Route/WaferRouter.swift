import Foundation
import WaferIR
import WaferSupport
import WaferTarget

/// Routes one wafer: gives its line classes colors, lays its bundles, finds every place where a
/// defect or a substituted tile breaks a regular route, routes those exceptions with negotiated
/// congestion, and colors them.
///
/// 1. Palette. Classes of the same role (slot rows, slot columns, each cell geometry's rows and
///    columns) share colors on every slot; a tree takes 5, a chain 3. When the palette and two
///    colors of headroom do not fit the budget, the role with the shortest lines becomes a chain
///    (where a chain costs least), and so on.
/// 2. Bundles take the lowest color free along all their lanes.
/// 3. Exceptions. Only lines that contain a dead PE, a dead link or a substituted tile are
///    expanded (O(line length) each); every transfer of the allreduce that crosses a broken spot
///    (`LineStructure.transfers`) becomes a point-to-point request, as does every lane stretch
///    of a bundle that meets a defect.
/// 4. PathFinder (McMurchie & Ebeling 1995): requests are routed by Dijkstra in a window around
///    their ends with node cost `(1 + history) + present x overuse`, where a PE's capacity is
///    its free colors; overused PEs gain history and their routes are ripped up and rerouted,
///    with a rising present factor, until no PE is overused.
/// 5. Colors: each exception takes the free color that runs longest, relaying where none runs on;
///    one that cannot is searched again over (PE, color) states, which finds a colorable route
///    with relays whenever the colors already taken leave one.
/// Cost: O(wafer PEs) for the color and load maps plus O(R x W log W) for R requests of window W.
struct WaferRouter {
    let target: Target
    let tiling: WaferTiling
    let grid: FabricGrid
    let budget: Int
    /// PathFinder's knobs (`RouteConfig`) and the colouring's (`ColorConfig`).
    let config: RouteConfig
    let colorConfig: ColorConfig

    /// Physical offset of each logical column within a slot.
    let homeOffsets: [Int]
    let logicalOfOffset: [Int: Int]
    init(target: Target, tiling: WaferTiling, grid: FabricGrid, budget: Int, config: RouteConfig = RouteConfig(),
         colorConfig: ColorConfig = ColorConfig()) {
        self.target = target; self.tiling = tiling; self.grid = grid; self.budget = budget
        self.config = config; self.colorConfig = colorConfig
        homeOffsets = (0..<tiling.slotWidth).map { tiling.columnOffset(logicalColumn: $0) }
        var inverse: [Int: Int] = [:]
        for (c, o) in homeOffsets.enumerated() { inverse[o] = c }
        logicalOfOffset = inverse
    }

    /// One allreduce (or lane) transfer whose regular route is broken.
    struct Transfer {
        var owner: Int
        var line: Int
        var segment: Int
        var position: Int
        var role: ExceptionRole
        /// Stage ranks of its two ends (`LineStructure.rank`).
        var ranks: (Int, Int)
    }

    /// A point-to-point route the regular pattern cannot provide. Every transfer between the same
    /// two PEs in the same direction shares it, whatever its class: they run in different phases
    /// and configure the path identically, so one color serves them all.
    struct Request {
        var bundle: Bool
        var source: (x: Int, y: Int)
        var sink: (x: Int, y: Int)
        var baseline: Int
        var transfers: [Transfer]
        var owner: Int { transfers.first?.owner ?? 0 }
        var role: ExceptionRole { transfers.first?.role ?? .stream }
        var line: Int { transfers.first?.line ?? 0 }
    }

    struct Outcome {
        var exceptions: [RouteException]
        var requests: [Request]
        var summary: WaferRoutingSummary
    }

    /// Routes the wafer. `classes` and `bundles` are the whole model's; only this wafer's change.
    func route(classes: inout [LineClass], bundles: inout [RouteBundle]) throws(DiagnosticError) -> Outcome {
        let mine = classes.indices.filter { classes[$0].wafer == tiling.wafer }
        let myBundles = bundles.indices.filter { bundles[$0].wafer == tiling.wafer }
        // A role is a class's scope and axis; on each slot every role gets its own colors, and the
        // slots (disjoint rectangles) reuse the same color ids.
        func role(_ c: LineClass) -> String { "\(c.scope)|\(c.axis.rawValue)" }
        func key(_ c: LineClass) -> String { "\(c.slot)|\(role(c))" }
        var modes: [String: AllreduceMode] = [:]
        for i in mine { modes[key(classes[i])] = .tree }
        // Colors left for bundles and defect exceptions: exceptions crowd around clusters of dead
        // PEs, where a PE can be the end of several detours and on the way of others.
        let headroom = grid.hasDefects ? config.defectHeadroomColors : (myBundles.isEmpty ? 0 : config.bundleHeadroomColors)
        /// Turns the tree role with the shortest lines on `slot` into a chain; false when none is left.
        var folded = Set<String>()
        /// Frees colors on `slot`, cheapest first: a cell class's tree becomes a chain (short lines:
        /// little slower); then a cell class folds into the slot's column class (no colors of its
        /// own; its allreduces carry one partial per cell band over the whole column); then a
        /// slot class's tree becomes a chain. False when nothing is left to give.
        func degrade(slot: Int) -> Bool {
            let here = mine.map { classes[$0] }.filter { $0.slot == slot && !folded.contains(key($0)) }
            let cells = here.filter { $0.scope != "slot" }.sorted { ($0.segment, key($0)) < ($1.segment, key($1)) }
            if let c = cells.first(where: { modes[key($0)] == .tree }) { modes[key(c)] = .chain; return true }
            if let c = cells.last { folded.insert(key(c)); return true }
            let slotClasses = here.filter { $0.scope == "slot" && modes[key($0)] == .tree }.sorted { ($0.segment, key($0)) < ($1.segment, key($1)) }
            guard let c = slotClasses.first else { return false }
            modes[key(c)] = .chain
            return true
        }
        while true {
            // Palette per slot: slot roles first, then cell roles, by name.
            var palette: [String: [Int]] = [:]
            var overBudget: Int?
            let slots = Set(mine.map { classes[$0].slot }).sorted()
            for slot in slots {
                let keys = Set(mine.map { classes[$0] }.filter { $0.slot == slot && !folded.contains(key($0)) }.map { key($0) }).sorted { a, b in
                    let slotA = a.contains("|slot|"), slotB = b.contains("|slot|")
                    return slotA != slotB ? slotA : a < b
                }
                var next = 0
                for k in keys {
                    let n = (modes[k] ?? .tree).colors
                    palette[k] = Array(next..<(next + n))
                    next += n
                }
                if next + headroom > budget, overBudget == nil { overBudget = slot }
            }
            if let slot = overBudget {
                guard degrade(slot: slot) else {
                    throw DiagnosticError(Diagnostic(.error, PassFailure.routeColors, "wafer \(tiling.wafer): slot \(slot) needs more colors for its allreduce patterns than the \(budget) the target gives the program, even as chains", at: nil))
                }
                continue
            }
            var trial = classes, trialBundles = bundles
            for i in mine {
                let m = modes[key(trial[i])] ?? .tree
                trial[i].mode = m
                trial[i].groups = LineStructure(length: trial[i].segment, mode: m).groups
                trial[i].colors = palette[key(trial[i])] ?? []
                trial[i].foldedInto = nil
                if folded.contains(key(trial[i])) {
                    trial[i].foldedInto = mine.first { trial[$0].slot == trial[i].slot && trial[$0].scope == "slot" && trial[$0].axis == trial[i].axis }
                }
            }
            // The last resort (nothing left to give) negotiates longer and wider before giving up.
            switch try attempt(classes: &trial, mine: mine, bundles: &trialBundles, myBundles: myBundles) {
            case let .routed(outcome):
                classes = trial
                bundles = trialBundles
                return outcome
            case let .congested(slot, at):
                // A bundle found no color free along all its lanes: give it one from the slot.
                if degrade(slot: slot) { continue }
                throw DiagnosticError(Diagnostic(.error, PassFailure.routeColors, "wafer \(tiling.wafer): no color is free along every lane of the bundle starting near PE (\(at.x), \(at.y))", at: nil,
                                                 notes: [.note("the target gives the program \(budget) colors and every allreduce of slot \(slot) is already a chain")]))
            }
        }
    }

    enum AttemptResult {
        case routed(Outcome)
        /// A bundle found no common color (its first lane starts at `at`); `slot` is the slot to relieve.
        case congested(slot: Int, at: (x: Int, y: Int))
    }

    /// The used slot containing (x, y), if any.
    func usedSlot(at x: Int, _ y: Int) -> Int? {
        let pitch = tiling.slotWidth + tiling.spareColumns
        guard x >= tiling.originX, y >= tiling.originY, pitch > 0, tiling.slotHeight > 0 else { return nil }
        let column = (x - tiling.originX) / pitch, row = (y - tiling.originY) / tiling.slotHeight
        guard column < tiling.gridColumns, row < tiling.gridRows else { return nil }
        let slot = row * tiling.gridColumns + column
        return (tiling.groupSlot ?? []).contains(slot) ? slot : nil
    }

    /// One routing attempt with fixed class colors; nil when some exception finds no color.
    private func attempt(classes: inout [LineClass], mine: [Int], bundles: inout [RouteBundle],
                         myBundles: [Int]) throws(DiagnosticError) -> AttemptResult {
        var colors = ColorAllocator(budget: budget, pes: grid.width * grid.height)
        var substitutes = SubstitutionCache(tiling: tiling, grid: grid)
        let active = mine.filter { classes[$0].foldedInto == nil }
        for i in active { markClass(classes[i], colors: &colors) }
        var requests: [Request] = []
        for b in myBundles {
            guard let laneRequests = layBundle(&bundles[b], colors: &colors) else {
                let s = bundles[b].source(lane: 0)
                return .congested(slot: usedSlot(at: s.x, s.y) ?? (tiling.groupSlot?.first ?? 0), at: s)
            }
            requests += laneRequests
        }
        var merged: [String: Int] = [:]
        for i in active {
            for request in try classRequests(classes[i], substitutes: &substitutes) {
                let key = "\(request.source.x),\(request.source.y)>\(request.sink.x),\(request.sink.y)"
                if let at = merged[key] {
                    requests[at].transfers += request.transfers
                } else {
                    merged[key] = requests.count
                    requests.append(request)
                }
            }
        }
        // Negotiate, then color.
        let (negotiated, iterations) = try negotiate(requests, colors: colors)
        let coloring = color(requests, paths: negotiated, colors: &colors)
        let paths = coloring.paths, runsOf = coloring.runs
        var exceptions: [RouteException] = []
        var summary = WaferRoutingSummary(wafer: tiling.wafer)
        summary.negotiationIterations = iterations
        summary.overlayPEs = coloring.overlayPEs
        summary.overlayColors = coloring.overlayColors.map { [$0.even, $0.odd] } ?? []
        summary.overlayRoutes = coloring.onOverlay.filter { $0 }.count
        for (index, request) in requests.enumerated() {
            let path = paths[index], runs = runsOf[index]
            var e = RouteException(owner: request.owner, role: request.role, line: request.line,
                                   position: request.transfers.first?.position ?? 0, path: path,
                                   extraHops: max(0, path.count - 1 - request.baseline))
            e.sharedBy = request.transfers.map(\.owner)
            e.colors = runs.map(\.color)
            e.runStarts = runs.map(\.start)
            e.carries = request.transfers.map(\.role)
            e.relays = max(0, runs.count - 1) + 2 * request.transfers.filter { $0.role != .stream }.count
            e.overlay = coloring.onOverlay[index]
            exceptions.append(e)
        }
        // Penalties per line segment: streams of different groups run in parallel, leader hops one
        // after another, the broadcast's two halves in parallel; the worst line counts.
        // Overlay transfers of one owner run in the same phase and share their patch's two
        // colors: they are taken one after another (their sum counts for every line using the
        // patch, and a line crossing several patches waits for each).
        struct LinePenalty { var stream: [Int: Int] = [:]; var leader = 0; var low = 0; var high = 0; var overlay: [Int: Int] = [:] }
        var perLine: [String: (bundle: Bool, owner: Int, penalty: LinePenalty)] = [:]
        /// The path's own cost: extra hops and relays between color runs; on the overlay every
        /// hop is a relay. A transfer that is not processor to processor adds the two relays
        /// onto the detour and back.
        func cycles(_ e: RouteException, _ role: ExceptionRole) -> Int {
            let relays = e.overlay ? max(0, e.path.count - 1) : max(0, e.colors.count - 1)
            return e.extraHops * target.hopLatencyCycles + relays * target.relayLatencyCycles + (role == .stream ? 0 : 2 * target.relayLatencyCycles)
        }
        var overlayTotal: [String: Int] = [:]
        for (index, (request, e)) in zip(requests, exceptions).enumerated() where e.overlay {
            for t in request.transfers { overlayTotal["\(request.bundle ? "b" : "c")\(t.owner)@\(coloring.patch[index])", default: 0] += cycles(e, t.role) }
        }
        for (index, (request, e)) in zip(requests, exceptions).enumerated() {
            for t in request.transfers {
                let key = "\(request.bundle ? "b" : "c")\(t.owner):\(t.line):\(t.segment)"
                let cycles = cycles(e, t.role)
                var entry = perLine[key] ?? (request.bundle, t.owner, LinePenalty())
                if e.overlay {
                    entry.penalty.overlay[coloring.patch[index]] = overlayTotal["\(request.bundle ? "b" : "c")\(t.owner)@\(coloring.patch[index])"] ?? 0
                    if request.bundle { bundles[t.owner].exceptions += 1 } else { classes[t.owner].exceptions += 1 }
                } else if request.bundle {
                    entry.penalty.leader += cycles
                    bundles[t.owner].exceptions += 1
                } else {
                    let c = classes[t.owner]
                    let structure = LineStructure(length: c.segment, mode: c.mode)
                    switch t.role {
                    case .stream, .lane: entry.penalty.stream[structure.group(of: t.position), default: 0] += cycles
                    case .leader: entry.penalty.leader += cycles
                    case .broadcast:
                        if t.position < structure.root { entry.penalty.low += cycles } else { entry.penalty.high += cycles }
                    }
                    classes[t.owner].exceptions += 1
                }
                perLine[key] = entry
            }
        }
        for (_, entry) in perLine {
            let p = entry.penalty
            let cycles = (p.stream.values.max() ?? 0) + p.leader + max(p.low, p.high) + p.overlay.values.reduce(0, +)
            if entry.bundle {
                bundles[entry.owner].penaltyCycles = max(bundles[entry.owner].penaltyCycles, cycles)
            } else {
                classes[entry.owner].penaltyCycles = max(classes[entry.owner].penaltyCycles, cycles)
            }
        }
        summary.exceptions = exceptions.count
        summary.relays = exceptions.reduce(0) { $0 + $1.relays }
        summary.classColors = mine.map { classes[$0].colors.max().map { $0 + 1 } ?? 0 }.max() ?? 0
        var histogram: [Int] = []
        for pe in 0..<(grid.width * grid.height) {
            let n = colors.colorsUsed(pe)
            if n >= histogram.count { histogram += Array(repeating: 0, count: n - histogram.count + 1) }
            histogram[n] += 1
        }
        summary.colorHistogram = histogram
        summary.maxColorsPerPE = histogram.count - 1
        summary.maxLinkLoadWavelets = maxLinkLoad(classes: classes, mine: mine, bundles: bundles, myBundles: myBundles,
                                                  exceptions: exceptions, requests: requests)
        summary.unresolvedPEs = coloring.unresolved
        return .routed(Outcome(exceptions: exceptions, requests: requests, summary: summary))
    }

    // MARK: Classes

    /// The fabric rectangle a class's lines cover: rows `ys`, columns `xs` (columns classes use
    /// only their home columns).
    func span(_ c: LineClass) -> (xs: ClosedRange<Int>, ys: Range<Int>) {
        let r = tiling.rect(ofSlot: c.slot)
        let first = r.x + homeOffsets[max(0, c.columns.lowerBound)]
        let last = r.x + homeOffsets[max(0, min(c.columns.upperBound, homeOffsets.count) - 1)]
        return (first...last, (r.y + c.rows.lowerBound)..<(r.y + c.rows.upperBound))
    }

    private func markClass(_ c: LineClass, colors: inout ColorAllocator) {
        let mask = c.colors.reduce(UInt64(0)) { $0 | (UInt64(1) << UInt64($1)) }
        let (xs, ys) = span(c)
        let r = tiling.rect(ofSlot: c.slot)
        for y in ys {
            if c.axis == .rows {
                for x in xs { colors.mark(y * grid.width + x, colors: mask) }
            } else {
                for column in c.columns { colors.mark(y * grid.width + r.x + homeOffsets[column], colors: mask) }
            }
        }
    }

    /// The exception requests of one class: its broken lines, expanded.
    private func classRequests(_ c: LineClass, substitutes: inout SubstitutionCache) throws(DiagnosticError) -> [Request] {
        let (xs, ys) = span(c)
        let r = tiling.rect(ofSlot: c.slot)
        var requests: [Request] = []
        func emit(line: Int, segment: Int, members: [(x: Int, y: Int)], clean: (Int) -> Bool, base: Int) {
            let structure = LineStructure(length: members.count, mode: c.mode)
            for i in 0..<max(0, members.count - 1) where !clean(i) {
                // Every transfer crossing the broken pair (i, i+1) detours between the two members:
                // one path per direction, shared by the transfers going that way. A stream hop is
                // processor to processor; a leader or broadcast transfer relays onto the detour
                // and back (two relays).
                for forward in [true, false] {
                    let (a, b) = forward ? (i, i + 1) : (i + 1, i)
                    var carried: [Transfer] = []
                    for t in structure.transfers(crossing: i) {
                        let (from, to) = structure.endpoints(t)
                        guard (to > from) == forward else { continue }
                        carried.append(Transfer(owner: c.id, line: line, segment: segment, position: base + a, role: t.role,
                                                ranks: (structure.rank(t.role, t.source), structure.rank(t.role, t.sink))))
                    }
                    guard !carried.isEmpty else { continue }
                    requests.append(Request(bundle: false, source: members[a], sink: members[b], baseline: 1, transfers: carried))
                }
            }
        }
        if c.axis == .rows {
            var rows = Set<Int>()
            for y in ys {
                if grid.deadColumns(row: y).contains(where: { xs.contains($0) }) { rows.insert(y) }
                if (grid.deadEastLinksByRow[y] ?? []).contains(where: { xs.contains($0) }) { rows.insert(y) }
            }
            for y in rows.sorted() {
                let subs = try substitutes.map(slot: c.slot, row: y)
                let spareHolders = Set(subs.values)
                for segmentStart in stride(from: c.columns.lowerBound, to: c.columns.upperBound, by: c.segment) {
                    let columns = segmentStart..<min(segmentStart + c.segment, c.columns.upperBound)
                    var members = columns.map { column -> (x: Int, y: Int) in
                        let home = r.x + homeOffsets[column]
                        return (subs[home] ?? home, y)
                    }
                    members.sort { $0.x < $1.x }
                    let own = Set(members.map(\.x))
                    let clean = { (i: Int) -> Bool in
                        let a = members[i].x, b = members[i + 1].x
                        guard self.grid.straightLive(a, y, b, y) else { return false }
                        for x in (a + 1)..<max(a + 1, b) where !self.tiling.isSpare(offset: x - r.x) || (spareHolders.contains(x) && !own.contains(x)) {
                            return false
                        }
                        return true
                    }
                    emit(line: y - r.y, segment: (segmentStart - c.columns.lowerBound) / c.segment, members: members, clean: clean,
                         base: 0)
                }
            }
        } else {
            var lines = Set<Int>()
            for y in ys {
                for x in grid.deadColumns(row: y) { if let column = logicalOfOffset[x - r.x], c.columns.contains(column) { lines.insert(column) } }
                if y + 1 < ys.upperBound {
                    for x in grid.deadSouthLinksByRow[y] ?? [] {
                        if let column = logicalOfOffset[x - r.x], c.columns.contains(column) { lines.insert(column) }
                    }
                }
            }
            for column in lines.sorted() {
                let home = r.x + homeOffsets[column]
                for segmentStart in stride(from: c.rows.lowerBound, to: c.rows.upperBound, by: c.segment) {
                    let rows = segmentStart..<min(segmentStart + c.segment, c.rows.upperBound)
                    // The line runs through its live home PEs; a tile moved to a spare PE joins as a
                    // leaf: its partial sum enters the line at the nearest member, and the
                    // broadcast reaches it from there (two paths, whatever the tree's shape).
                    var members: [(x: Int, y: Int)] = []
                    var leaves: [(sub: (x: Int, y: Int), row: Int)] = []
                    for row in rows {
                        let y = r.y + row
                        if grid.isLive(home, y) {
                            members.append((home, y))
                        } else if let spare = try substitutes.map(slot: c.slot, row: y)[home] {
                            leaves.append(((spare, y), members.count))
                        }
                    }
                    let segment = (segmentStart - c.rows.lowerBound) / c.segment
                    let clean = { (i: Int) -> Bool in self.grid.straightLive(home, members[i].y, home, members[i + 1].y) }
                    emit(line: column, segment: segment, members: members, clean: clean, base: 0)
                    guard !members.isEmpty else { continue }
                    let structure = LineStructure(length: members.count, mode: c.mode)
                    let top = structure.rank(.broadcast, 0) + members.count + 1
                    // Spread the leaves of a run of moved tiles over distinct nearby members.
                    var attached = [Int: Int]()
                    for leaf in leaves {
                        let next = min(leaf.row, members.count - 1)
                        let candidates = (0..<8).flatMap { d in [next + d, next - 1 - d] }.filter { members.indices.contains($0) }
                        let at = candidates.min { (attached[$0] ?? 0, abs($0 - next)) < (attached[$1] ?? 0, abs($1 - next)) } ?? next
                        attached[at, default: 0] += 1
                        let stream = structure.rank(.stream, at)
                        let broadcast = structure.rank(.broadcast, at)
                        requests.append(Request(bundle: false, source: leaf.sub, sink: members[at], baseline: 1,
                                                transfers: [Transfer(owner: c.id, line: column, segment: segment, position: at, role: .stream, ranks: (0, stream))]))
                        requests.append(Request(bundle: false, source: members[at], sink: leaf.sub, baseline: 1,
                                                transfers: [Transfer(owner: c.id, line: column, segment: segment, position: at, role: .broadcast, ranks: (broadcast, top))]))
                    }
                }
            }
        }
        return requests
    }


    // MARK: Bundles

    /// The PEs of lane `i`: the vertical run, then the horizontal one.
    static func lanePath(_ b: RouteBundle, lane i: Int) -> [(x: Int, y: Int)] {
        let s = b.source(lane: i), corner = b.corner(lane: i), t = b.sink(lane: i)
        var path: [(x: Int, y: Int)] = [s]
        var x = s.x, y = s.y
        while y != corner.y { y += corner.y > y ? 1 : -1; path.append((x, y)) }
        while x != t.x { x += t.x > x ? 1 : -1; path.append((x, y)) }
        return path
    }

    /// Gives a bundle its color and returns the requests for lane stretches that meet defects;
    /// nil when no color is free along the lanes.
    private func layBundle(_ b: inout RouteBundle, colors: inout ColorAllocator) -> [Request]? {
        var requests: [Request] = []
        var live: [Int] = []
        for lane in 0..<b.lanes {
            let path = Self.lanePath(b, lane: lane)
            var i = 0
            while i < path.count {
                let p = path[i]
                if grid.isLive(p.x, p.y) { live.append(p.y * grid.width + p.x) }
                // A break: the next PE is dead or the link to it is.
                if i + 1 < path.count {
                    let q = path[i + 1]
                    if !grid.isLive(q.x, q.y) || !grid.linkLive(p.x, p.y, q.x, q.y) {
                        guard grid.isLive(p.x, p.y) else { i += 1; continue }
                        var j = i + 1
                        while j < path.count && !grid.isLive(path[j].x, path[j].y) { j += 1 }
                        if j < path.count {
                            requests.append(Request(bundle: true, source: p, sink: path[j], baseline: j - i,
                                                    transfers: [Transfer(owner: b.id, line: lane, segment: 0, position: i, role: .lane, ranks: (0, 1))]))
                        } else if let landing = LaneLanding.after(path, onFabric: grid.onFabric, isLive: grid.isLive) {
                            // The lane's sink and everything before it is dead: the chunk enters the
                            // sink's row at the first live PE past the sink (docs/plan-format.md).
                            requests.append(Request(bundle: true, source: p, sink: landing, baseline: path.count - 1 - i,
                                                    transfers: [Transfer(owner: b.id, line: lane, segment: 0, position: i, role: .lane, ranks: (0, 1))]))
                        }
                        i = j
                        continue
                    }
                }
                i += 1
            }
        }
        guard let color = colors.commonFree(live) else { return nil }
        b.color = color
        for pe in live { colors.mark(pe, colors: UInt64(1) << UInt64(color)) }
        return requests
    }

    // MARK: Loads

    /// The most wavelets per decode step over any one link (both directions summed). O(wafer PEs).
    private func maxLinkLoad(classes: [LineClass], mine: [Int], bundles: [RouteBundle], myBundles: [Int],
                             exceptions: [RouteException], requests: [Request]) -> Int {
        let n = grid.width * grid.height
        var east = Array(repeating: 0, count: n), south = Array(repeating: 0, count: n)
        for i in mine {
            var c = classes[i]
            if let host = c.foldedInto {
                let load = c.loadWavelets * c.bands
                c = classes[host]
                c.loadWavelets = load
            }
            let (xs, ys) = span(c)
            let r = tiling.rect(ofSlot: c.slot)
            if c.axis == .rows {
                for y in ys { for x in xs.lowerBound..<xs.upperBound { east[y * grid.width + x] += c.loadWavelets } }
            } else {
                for column in c.columns {
                    let x = r.x + homeOffsets[column]
                    for y in ys.lowerBound..<max(ys.lowerBound, ys.upperBound - 1) { south[y * grid.width + x] += c.loadWavelets }
                }
            }
        }
        func add(_ a: (x: Int, y: Int), _ b: (x: Int, y: Int), _ load: Int) {
            guard grid.onFabric(a.x, a.y), grid.onFabric(b.x, b.y) else { return }
            if a.y == b.y { east[a.y * grid.width + min(a.x, b.x)] += load } else { south[min(a.y, b.y) * grid.width + a.x] += load }
        }
        for b in myBundles {
            for lane in 0..<bundles[b].lanes {
                let path = Self.lanePath(bundles[b], lane: lane)
                for (p, q) in zip(path, path.dropFirst()) { add(p, q, bundles[b].loadWavelets) }
            }
        }
        for (e, request) in zip(exceptions, requests) {
            let load = request.bundle ? bundles[request.owner].loadWavelets : classes[request.owner].loadWavelets
            for (p, q) in zip(e.path, e.path.dropFirst()) {
                add((Int(p) % grid.width, Int(p) / grid.width), (Int(q) % grid.width, Int(q) / grid.width), load)
            }
        }
        return max(east.max() ?? 0, south.max() ?? 0)
    }
}

/// Substitutions of dead tile positions by spare PEs, per (slot, row), computed on demand.
struct SubstitutionCache {
    let tiling: WaferTiling
    let grid: FabricGrid
    private var cache: [Int: [Int: Int]] = [:]

    init(tiling: WaferTiling, grid: FabricGrid) { self.tiling = tiling; self.grid = grid }

    /// Home fabric column -> spare fabric column for row `y` of `slot`.
    mutating func map(slot: Int, row y: Int) throws(DiagnosticError) -> [Int: Int] {
        let key = slot * grid.height + y
        if let hit = cache[key] { return hit }
        var result: [Int: Int] = [:]
        for (home, spare) in tiling.substitutes(slot: slot, deadColumnsInRow: grid.deadColumns(row: y)) {
            guard let spare else {
                throw .error(PassFailure.invariant, "internal: row \(y) of slot \(slot) on wafer \(tiling.wafer) has more dead PEs than spare columns", at: nil)
            }
            result[home] = spare
        }
        cache[key] = result
        return result
    }
}
