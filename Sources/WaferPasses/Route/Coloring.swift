import WaferIR

/// The colors of one wafer's exception routes, and the overlay patches that carry the routes no
/// color could.
struct Coloring {
    var paths: [[Int32]]
    /// Color runs per route (`(path index, color)`); for an overlay route, one run per hop, on
    /// the sending PE's overlay color.
    var runs: [[(start: Int, color: Int)]]
    /// Routes carried by the overlay (software-forwarded, every hop a relay), and the connected
    /// patch of the overlay each one uses (-1 for the others).
    var onOverlay: [Bool]
    var patch: [Int]
    /// The overlay's PEs (sorted) and its two colors: a PE with (x + y) even sends on `.even`
    /// and receives on `.odd`, an odd PE the other way round.
    var overlayPEs: [Int32]
    var overlayColors: (even: Int, odd: Int)?
    /// One PE per route left without any way through (the overlay could not reach either).
    var unresolved: [Int32]
}

extension WaferRouter {
    /// Colors every route, longest first (they have the fewest choices).
    ///
    /// 1. Each route takes the free color that runs longest along its negotiated path, relaying
    ///    where none runs on (`ColorAllocator.assign`); one that cannot is routed once more
    ///    around the PEs with no free color left.
    /// 2. A route that still finds none gets an exact search over (PE, color) states
    ///    (`FabricGrid.colorablePath`): it finds a route with relays whenever the colors already
    ///    taken leave one (a PE-level search cannot: two neighbours may each have free colors
    ///    but none in common).
    /// 3. A route for which no colors are left at all goes over an **overlay**: a patch of PEs
    ///    around its ends that give two colors to software forwarding. On the checkerboard of
    ///    the patch, a PE with (x + y) even sends on one color to its patch neighbours and
    ///    receives on the other from them, an odd PE the reverse, so every patch link carries
    ///    either color one way and the configuration at each PE is the same for every route
    ///    that uses the patch: the routes share the two colors, and each hop costs a relay
    ///    (the forwarding PE's processor reads the destination and sends the wavelets on). The
    ///    two colors are the program's highest (the ones the greedy steps above take last);
    ///    the exception routes that hold them in the patch are moved to other colors, or onto
    ///    the overlay when both their ends lie in it; the patch grows (`ColorConfig.overlayRadii`) when
    ///    that fails, and everything is undone if no patch works.
    /// A route that even the overlay cannot carry (a patch color held by a line class or a
    /// bundle, say) is kept without colors and its congested PE reported.
    /// Cost: O(R x path x colors) for step 1, one windowed search per route left for step 2,
    /// and per overlay patch a breadth-first search of the patch plus one search per moved route.
    func color(_ requests: [Request], paths negotiated: [[Int32]], colors: inout ColorAllocator) -> Coloring {
        var paths = negotiated
        var runsOf = Array(repeating: [(start: Int, color: Int)](), count: requests.count)
        var colored = Array(repeating: false, count: requests.count)
        var failed: [Int] = []
        let fixed = colors  // line classes and bundles only
        let order = requests.indices.sorted { (paths[$0].count, $1) > (paths[$1].count, $0) }
        for index in order {
            var runs = colors.assign(paths[index])
            if runs == nil {
                let request = requests[index]
                let snapshot = colors
                if let retry = grid.cheapestPath(from: request.source, to: request.sink, margin: config.windowMargins[config.windowMargins.count - 1], cost: { pe in
                    let free = snapshot.free(pe).nonzeroBitCount
                    return free == 0 ? colorConfig.congestedCost : 1 + colorConfig.scarcityWeight / Double(free)
                }) {
                    paths[index] = retry; runs = colors.assign(retry)
                }
            }
            if let found = runs { runsOf[index] = found; colored[index] = true } else { failed.append(index) }
        }
        var result = Coloring(paths: paths, runs: runsOf, onOverlay: Array(repeating: false, count: requests.count),
                              patch: Array(repeating: -1, count: requests.count),
                              overlayPEs: [], overlayColors: nil, unresolved: [])
        guard !failed.isEmpty else { return result }

        let relayCost = Double(target.relayLatencyCycles) / Double(max(1, target.hopLatencyCycles))
        /// Where the overlay runs (flat, one byte per PE; made only when some route needs it).
        var inOverlay: [Bool] = []
        let overlayBits: UInt64 = budget >= 2 ? (UInt64(1) << UInt64(budget - 1)) | (UInt64(1) << UInt64(budget - 2)) : 0
        func colorable(_ request: Request, margins: [Int], free: (Int) -> UInt64) -> (path: [Int32], runs: [(start: Int, color: Int)])? {
            for margin in margins {
                if let found = grid.colorablePath(from: request.source, to: request.sink, margin: margin, colorCount: budget,
                                                  relayCost: relayCost, free: free) { return found }
            }
            return nil
        }
        // Routes through each PE (compressed rows over PE ids; routes recolored later are added
        // to `moved`; stale entries are skipped by checking the path).
        let n = grid.width * grid.height
        var start: [Int32] = [], users: [Int32] = []
        var moved: [Int32: [Int]] = [:]
        func indexUsers() {
            start = [Int32](repeating: 0, count: n + 1)
            for (r, path) in paths.enumerated() where colored[r] { for pe in path { start[Int(pe) + 1] += 1 } }
            for i in 0..<n { start[i + 1] += start[i] }
            var fill = start
            users = [Int32](repeating: 0, count: Int(start[n]))
            for (r, path) in paths.enumerated() where colored[r] { for pe in path { users[Int(fill[Int(pe)])] = Int32(r); fill[Int(pe)] += 1 } }
        }
        func routes(through pe: Int32) -> [Int] {
            guard !start.isEmpty else { return [] }
            return users[Int(start[Int(pe)])..<Int(start[Int(pe) + 1])].map(Int.init) + (moved[pe] ?? [])
        }
        /// The shortest path between `request`'s ends over PEs within `radius` of their bounding
        /// box that are live and whose overlay colors no line class or bundle holds (or that are
        /// in the overlay already); nil when there is none. Breadth-first search, O(box).
        func overlayPath(_ request: Request, radius: Int) -> [Int32]? {
            let x0 = max(0, min(request.source.x, request.sink.x) - radius), x1 = min(grid.width - 1, max(request.source.x, request.sink.x) + radius)
            let y0 = max(0, min(request.source.y, request.sink.y) - radius), y1 = min(grid.height - 1, max(request.source.y, request.sink.y) + radius)
            let ww = x1 - x0 + 1
            func allowed(_ x: Int, _ y: Int) -> Bool {
                guard x >= x0, x <= x1, y >= y0, y <= y1, grid.isLive(x, y) else { return false }
                let pe = y * grid.width + x
                return inOverlay[pe] || fixed.used[pe] & overlayBits == 0
            }
            guard allowed(request.source.x, request.source.y), allowed(request.sink.x, request.sink.y) else { return nil }
            var previous = [Int32](repeating: -2, count: ww * (y1 - y0 + 1))
            func local(_ x: Int, _ y: Int) -> Int { (y - y0) * ww + (x - x0) }
            var queue = [(request.source.x, request.source.y)]
            previous[local(request.source.x, request.source.y)] = -1
            var head = 0
            while head < queue.count {
                let (x, y) = queue[head]; head += 1
                if x == request.sink.x && y == request.sink.y { break }
                for (nx, ny) in [(x, y - 1), (x + 1, y), (x, y + 1), (x - 1, y)] where allowed(nx, ny) && grid.linkLive(x, y, nx, ny) {
                    guard previous[local(nx, ny)] == -2 else { continue }
                    previous[local(nx, ny)] = Int32(local(x, y))
                    queue.append((nx, ny))
                }
            }
            guard previous[local(request.sink.x, request.sink.y)] != -2 else { return nil }
            var path: [Int32] = []
            var node = local(request.sink.x, request.sink.y)
            while node >= 0 {
                path.append(Int32((y0 + node / ww) * grid.width + x0 + node % ww))
                node = Int(previous[node])
            }
            return path.reversed()
        }
        func overlayRuns(_ path: [Int32]) -> [(start: Int, color: Int)] {
            path.dropLast().enumerated().map { i, pe in
                let x = Int(pe) % grid.width, y = Int(pe) / grid.width
                return (i, (x + y) % 2 == 0 ? budget - 1 : budget - 2)
            }
        }
        /// Builds (or extends) the overlay so that `index` can use it; false (nothing changed)
        /// when no patch works. The routes holding an overlay color on a new overlay PE move to
        /// other colors, or, when none are left, onto the overlay along their own path (whose
        /// PEs join it in turn), `ColorConfig.overlayMoves` routes at most.
        func overlay(_ index: Int) -> Bool {
            guard overlayBits != 0 else { return false }
            if inOverlay.isEmpty { inOverlay = [Bool](repeating: false, count: n); indexUsers() }
            for radius in colorConfig.overlayRadii {
                guard let path = overlayPath(requests[index], radius: radius) else { continue }
                // Changes apply at once (so that a route moved here is seen where the overlay
                // grows next), with a journal to undo them all when the patch fails.
                var fresh: [Int32] = []
                var saved: [Int: (path: [Int32], runs: [(start: Int, color: Int)], colored: Bool)] = [:]
                var recolored: [Int] = []
                var overlaid: [Int] = []
                var queue: [Int] = []
                var pending = Set<Int>()
                func save(_ r: Int) { if saved[r] == nil { saved[r] = (paths[r], runsOf[r], colored[r]) } }
                /// Adds `route`'s PEs to the overlay and queues the routes holding its colors there.
                func join(_ route: [Int32]) -> Bool {
                    for pe in route where !inOverlay[Int(pe)] {
                        guard fixed.used[Int(pe)] & overlayBits == 0 else { return false }
                        for r in routes(through: pe) where colored[r] && !result.onOverlay[r] && !pending.contains(r) {
                            guard let i = paths[r].firstIndex(of: pe) else { continue }
                            if ColorAllocator.colors(at: i, pathCount: paths[r].count, runs: runsOf[r]) & overlayBits != 0 {
                                save(r)
                                colors.release(paths[r], runs: runsOf[r])
                                colored[r] = false
                                pending.insert(r)
                                queue.append(r)
                            }
                        }
                        inOverlay[Int(pe)] = true
                        colors.mark(Int(pe), colors: overlayBits)
                        fresh.append(pe)
                    }
                    return true
                }
                func toOverlay(_ r: Int, along route: [Int32]) -> Bool {
                    save(r)
                    paths[r] = route
                    runsOf[r] = overlayRuns(route)
                    result.onOverlay[r] = true
                    colored[r] = true
                    overlaid.append(r)
                    return join(route)
                }
                var ok = toOverlay(index, along: path)
                var head = 0
                while ok && head < queue.count {
                    guard head < colorConfig.overlayMoves else { ok = false; break }
                    let r = queue[head]; head += 1
                    pending.remove(r)
                    if let found = colorable(requests[r], margins: Array(config.windowMargins.prefix(colorConfig.movedRouteMargins)), free: { colors.free($0) }) {
                        colors.occupy(found.path, runs: found.runs)
                        paths[r] = found.path
                        runsOf[r] = found.runs
                        colored[r] = true
                        recolored.append(r)
                        for pe in found.path { moved[pe, default: []].append(r) }
                    } else {
                        ok = toOverlay(r, along: saved[r]?.path ?? paths[r])
                    }
                }
                if ok { return true }
                // Undo: routes colored here lose their colors, the patch its PEs, and every
                // route touched gets its path, colors and state back.
                for r in Set(recolored) where colored[r] && !result.onOverlay[r] { colors.release(paths[r], runs: runsOf[r]) }
                for r in overlaid { result.onOverlay[r] = false }
                for pe in fresh {
                    inOverlay[Int(pe)] = false
                    colors.release([pe], runs: [(0, budget - 1)])
                    colors.release([pe], runs: [(0, budget - 2)])
                }
                for (r, old) in saved.sorted(by: { $0.key < $1.key }) {
                    paths[r] = old.path
                    runsOf[r] = old.runs
                    colored[r] = old.colored
                    if old.colored { colors.occupy(old.path, runs: old.runs) }
                }
            }
            return false
        }

        for index in failed {
            let request = requests[index]
            let free: (Int) -> UInt64 = { colors.free($0) }
            if let found = colorable(request, margins: config.windowMargins, free: free) {
                colors.occupy(found.path, runs: found.runs)
                paths[index] = found.path
                runsOf[index] = found.runs
                colored[index] = true
                if !start.isEmpty { for pe in found.path { moved[pe, default: []].append(index) } }
                continue
            }
            if overlay(index) { continue }
            if let at = paths[index].first(where: { colors.free(Int($0)) == 0 }) ?? paths[index].first { result.unresolved.append(at) }
        }
        result.paths = paths
        result.runs = runsOf
        if !inOverlay.isEmpty {
            result.overlayPEs = inOverlay.indices.filter { inOverlay[$0] }.map(Int32.init)
            if !result.overlayPEs.isEmpty { result.overlayColors = (budget - 1, budget - 2) }
            // Connected patches (breadth-first over overlay links); a route's patch is its source's.
            var label: [Int32: Int] = [:]
            var patches = 0
            for seed in result.overlayPEs where label[seed] == nil {
                let id = patches
                patches += 1
                label[seed] = id
                var queue = [seed], head = 0
                while head < queue.count {
                    let pe = Int(queue[head]); head += 1
                    let x = pe % grid.width, y = pe / grid.width
                    for (nx, ny) in [(x, y - 1), (x + 1, y), (x, y + 1), (x - 1, y)] where grid.isLive(nx, ny) && grid.linkLive(x, y, nx, ny) {
                        let next = Int32(ny * grid.width + nx)
                        guard inOverlay[Int(next)], label[next] == nil else { continue }
                        label[next] = id
                        queue.append(next)
                    }
                }
            }
            for r in requests.indices where result.onOverlay[r] { result.patch[r] = paths[r].first.flatMap { label[$0] } ?? -1 }
        }
        return result
    }
}
