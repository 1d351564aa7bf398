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
    ///    the overlay when both their ends lie in it; the patch grows (`ColorConfig.overlayRadiiPEs`) when
    ///    that fails, and everything is undone if no patch works.
    /// A route that even the overlay cannot carry (a patch color held by a line class or a
    /// bundle, say) is kept without colors and its congested PE reported.
    /// Cost: O(R x path x colors) for step 1, one windowed search per route left for step 2,
    /// and per overlay patch a breadth-first search of the patch plus one search per moved route.
    /// The work is done by `ColoringRun`: step 1 here, steps 2 and 3 in OverlayPatches.swift.
    func color(_ requests: [Request], paths negotiated: [[Int32]], colors: inout ColorAllocator) -> Coloring {
        var run = ColoringRun(router: self, requests: requests, paths: negotiated, colors: colors)
        run.colorGreedily()
        if !run.failed.isEmpty { run.colorFailedRoutes() }
        colors = run.colors
        return run.result
    }
}

/// The state of one `WaferRouter.color` call: the routes' paths and colour runs as they change,
/// the allocator, and the overlay once some route needs it. O(routes + wafer PEs) of memory.
struct ColoringRun {
    let router: WaferRouter
    let requests: [WaferRouter.Request]
    var paths: [[Int32]]
    var runsOf: [[(start: Int, color: Int)]]
    var colored: [Bool]
    /// Routes step 1 left without colours, in the order it met them.
    var failed: [Int] = []
    var colors: ColorAllocator
    /// The colours of line classes and bundles only (before any exception took one).
    let fixed: ColorAllocator
    /// The answer; its `paths` and `runs` are brought up to date when the run ends.
    var result: Coloring
    /// A hop's cost in relays, for the (PE, colour) search.
    let relayCost: Double
    /// Where the overlay runs (flat, one byte per PE; made only when some route needs it).
    var inOverlay: [Bool] = []
    /// The program's two highest colours, which the overlay uses (0 below two colours).
    let overlayBits: UInt64
    /// Routes through each PE (compressed rows over PE ids; routes recolored later are added
    /// to `moved`; stale entries are skipped by checking the path).
    var start: [Int32] = [], users: [Int32] = []
    var moved: [Int32: [Int]] = [:]
    /// The searches' scratch, reused across this run's searches.
    let searchScratch = SearchScratch()
    let colorableScratch = ColorableScratch()

    var grid: FabricGrid { router.grid }
    var budget: Int { router.budget }

    init(router: WaferRouter, requests: [WaferRouter.Request], paths: [[Int32]], colors: ColorAllocator) {
        self.router = router
        self.requests = requests
        self.paths = paths
        self.colors = colors
        fixed = colors
        runsOf = Array(repeating: [], count: requests.count)
        colored = Array(repeating: false, count: requests.count)
        result = Coloring(paths: paths, runs: runsOf, onOverlay: Array(repeating: false, count: requests.count),
                          patch: Array(repeating: -1, count: requests.count), overlayPEs: [], overlayColors: nil, unresolved: [])
        relayCost = Double(router.target.relayLatencyCycles) / Double(max(1, router.target.hopLatencyCycles))
        let budget = router.budget
        overlayBits = budget >= 2 ? (UInt64(1) << UInt64(budget - 1)) | (UInt64(1) << UInt64(budget - 2)) : 0
    }

    /// Step 1: longest route first, the free colour that runs longest along its path
    /// (`ColorAllocator.assign`); a route that finds none is routed once more in the widest
    /// window with PE cost `1 + scarcityWeight / free` (`congestedCost` where none is free).
    /// Routes still without colours go to `failed`. O(R x path x colors) plus the retries.
    mutating func colorGreedily() {
        let config = router.config, colorConfig = router.colorConfig
        let order = requests.indices.sorted { (paths[$0].count, $1) > (paths[$1].count, $0) }
        for index in order {
            var runs = colors.assign(paths[index])
            if runs == nil {
                let request = requests[index]
                var retry: [Int32]?
                do {
                    // The snapshot ends with this scope, so `assign` below marks the colours in
                    // place instead of copying the wafer's colour map.
                    let snapshot = colors
                    retry = grid.cheapestPath(from: request.source, to: request.sink, margin: config.windowMarginsPEs[config.windowMarginsPEs.count - 1],
                                              scratch: searchScratch, cost: { pe in
                        let free = snapshot.free(pe).nonzeroBitCount
                        return free == 0 ? colorConfig.congestedCost : 1 + colorConfig.scarcityWeight / Double(free)
                    })
                }
                if let retry { paths[index] = retry; runs = colors.assign(retry) }
            }
            if let found = runs { runsOf[index] = found; colored[index] = true } else { failed.append(index) }
        }
        result.paths = paths
        result.runs = runsOf
    }

    /// A route between `request`'s ends over (PE, colour) states, trying `margins` in order
    /// (`FabricGrid.colorablePath`), with `free` giving each PE's free colours; nil when none.
    /// Each margin's search runs only when the window connects the ends at all
    /// (`FabricGrid.colorableReachable`, a flood without costs): the search finds a route exactly
    /// when one exists, so a window that cannot connect them is skipped without changing the
    /// answer; such hopeless searches were most of the colouring's time.
    func colorable(_ request: WaferRouter.Request, margins: [Int], free: (Int) -> UInt64) -> (path: [Int32], runs: [(start: Int, color: Int)])? {
        // Every window lies inside the widest one: when even that cannot connect the ends, none can.
        guard let widest = margins.max(),
              grid.colorableReachable(from: request.source, to: request.sink, margin: widest, colorCount: budget, free: free) else { return nil }
        for margin in margins {
            guard margin == widest || grid.colorableReachable(from: request.source, to: request.sink, margin: margin, colorCount: budget, free: free) else {
                continue
            }
            if let found = grid.colorablePath(from: request.source, to: request.sink, margin: margin, colorCount: budget,
                                              relayCost: relayCost, scratch: colorableScratch, free: free) { return found }
        }
        return nil
    }

    /// Steps 2 and 3 for the routes step 1 left: the (PE, colour) search, then an overlay
    /// patch; a route neither can carry is reported in `result.unresolved`. Then the overlay's
    /// PEs, colours and patches are recorded in `result`.
    mutating func colorFailedRoutes() {
        for index in failed {
            let request = requests[index]
            if let found = colorable(request, margins: router.config.windowMarginsPEs, free: { colors.free($0) }) {
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
        if !inOverlay.isEmpty { labelPatches() }
    }
}
