import WaferIR

/// Steps 2 and 3 of colouring for the routes no colour could take (`WaferRouter.color`): the
/// overlay, patches of PEs around a route's ends that give the program's two highest colours to
/// software forwarding on a checkerboard, so the routes through a patch share them.
extension ColoringRun {
    /// Indexes the routes through each PE (`start`, `users`), from the coloured routes. O(path PEs).
    mutating func indexUsers() {
        let n = grid.width * grid.height
        start = [Int32](repeating: 0, count: n + 1)
        for (r, path) in paths.enumerated() where colored[r] { for pe in path { start[Int(pe) + 1] += 1 } }
        for i in 0..<n { start[i + 1] += start[i] }
        var fill = start
        users = [Int32](repeating: 0, count: Int(start[n]))
        for (r, path) in paths.enumerated() where colored[r] { for pe in path { users[Int(fill[Int(pe)])] = Int32(r); fill[Int(pe)] += 1 } }
    }

    /// The routes through `pe` (stale entries possible: callers check the path). O(routes there).
    func routes(through pe: Int32) -> [Int] {
        guard !start.isEmpty else { return [] }
        return users[Int(start[Int(pe)])..<Int(start[Int(pe) + 1])].map(Int.init) + (moved[pe] ?? [])
    }

    /// The shortest path between `request`'s ends over PEs within `radius` of their bounding
    /// box that are live and whose overlay colors no line class or bundle holds (or that are
    /// in the overlay already); nil when there is none. Breadth-first search, O(box).
    func overlayPath(_ request: WaferRouter.Request, radius: Int) -> [Int32]? {
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

    /// One run per hop, on the sending PE's overlay colour (even PEs send on the highest).
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
    mutating func overlay(_ index: Int) -> Bool {
        guard overlayBits != 0 else { return false }
        let n = grid.width * grid.height
        let config = router.config, colorConfig = router.colorConfig
        if inOverlay.isEmpty { inOverlay = [Bool](repeating: false, count: n); indexUsers() }
        for radius in colorConfig.overlayRadiiPEs {
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
                if let found = colorable(requests[r], margins: Array(config.windowMarginsPEs.prefix(colorConfig.movedRouteMargins)), free: { colors.free($0) }) {
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

    /// Records the overlay in `result`: its PEs (sorted), its two colours, and each overlay
    /// route's connected patch (a route's patch is its source's). Breadth-first over overlay
    /// links, O(overlay PEs).
    mutating func labelPatches() {
        result.overlayPEs = inOverlay.indices.filter { inOverlay[$0] }.map(Int32.init)
        if !result.overlayPEs.isEmpty { result.overlayColors = (budget - 1, budget - 2) }
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
}
