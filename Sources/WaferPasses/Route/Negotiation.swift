import WaferSupport

extension WaferRouter {
    /// PathFinder's negotiated congestion (McMurchie & Ebeling 1995) over `requests`: each
    /// iteration routes (again) every request whose path crosses a PE overused at the end of the
    /// previous one, by A* (`FabricGrid.cheapestPath`) in the windows `RouteConfig.windowMarginsPEs`
    /// (widened per iteration) with node cost `(1 + history) + present x overuse`, where a PE's
    /// capacity is its free colors less `relayReserveColors`; overused PEs then gain history.
    /// Stops when no PE is overused, after `stallIterations` without fewer overused PEs, or after
    /// `maxIterations`. Returns the paths and the iterations run. The per-PE maps are flat raw
    /// arrays (occupancy, capacity, history, an overused flag), made once per attempt; the
    /// overused test of a path is a byte read per PE. O(iterations x R x W log W) for R
    /// requests re-routed per iteration in windows of W PEs, plus O(wafer PEs) for the maps.
    func negotiate(_ requests: [Request], colors: ColorAllocator) throws(DiagnosticError) -> ([[Int32]], Int) {
        let n = grid.width * grid.height
        let occupancy = UnsafeMutablePointer<Int32>.allocate(capacity: n)
        let history = UnsafeMutablePointer<Float>.allocate(capacity: n)
        let capacity = UnsafeMutablePointer<Int32>.allocate(capacity: n)
        // Bit 0: the PE was ever occupied (listed in `touched`); bit 1: overused now.
        let flags = UnsafeMutablePointer<UInt8>.allocate(capacity: n)
        defer { occupancy.deallocate(); history.deallocate(); capacity.deallocate(); flags.deallocate() }
        occupancy.initialize(repeating: 0, count: n)
        history.initialize(repeating: 0, count: n)
        flags.initialize(repeating: 0, count: n)
        for pe in 0..<n { capacity[pe] = Int32(budget - colors.colorsUsed(pe) - config.relayReserveColors) }
        var touched: [Int32] = []
        var overused: [Int32] = []
        var paths = Array(repeating: [Int32](), count: requests.count)
        var iterations = 0
        var bestOverused = Int.max, stalled = 0
        let scratch = SearchScratch()
        for iteration in 0..<config.maxIterations {
            iterations = iteration + 1
            let present = config.presentFactor(iteration: iteration)
            let margins = config.windowMarginsPEs.map { $0 + config.marginGrowthPEs * iteration }
            for (index, request) in requests.enumerated() {
                if iteration > 0 && !paths[index].isEmpty && !paths[index].contains(where: { flags[Int($0)] & 2 != 0 }) { continue }
                for pe in paths[index] { occupancy[Int(pe)] -= 1 }
                var found: [Int32]?
                for margin in margins {
                    found = grid.cheapestPath(from: request.source, to: request.sink, margin: margin, scratch: scratch) { pe in
                        let over = max(0, Int(occupancy[pe]) + 1 - Int(capacity[pe]))
                        return Double(1 + history[pe] + present * Float(over))
                    }
                    if found != nil { break }
                }
                guard let path = found else { throw unroutable(request) }
                paths[index] = path
                for pe in path {
                    occupancy[Int(pe)] += 1
                    if flags[Int(pe)] & 1 == 0 { flags[Int(pe)] |= 1; touched.append(pe) }
                }
            }
            for pe in overused { flags[Int(pe)] &= ~2 }
            overused = touched.filter { occupancy[Int($0)] > capacity[Int($0)] }
            for pe in overused { flags[Int(pe)] |= 2 }
            if overused.isEmpty { break }
            // Stalled: no fewer overused PEs for two iterations; the colors must come from elsewhere.
            if overused.count < bestOverused { bestOverused = overused.count; stalled = 0 } else { stalled += 1 }
            if stalled >= config.stallIterations { break }
            for pe in overused { history[Int(pe)] += Float(config.historyIncrement) }
        }
        return (paths, iterations)
    }

    /// The error for a request no window could route. O(1).
    private func unroutable(_ request: Request) -> DiagnosticError {
        let what = request.bundle ? "lane \(request.line) of bundle \(request.owner)" : "a \(request.role.rawValue) transfer of line \(request.line) of class \(request.owner)"
        return DiagnosticError(Diagnostic(.error, PassFailure.routeUnroutable, "wafer \(tiling.wafer): no route around the defects for \(what), from (\(request.source.x), \(request.source.y)) to (\(request.sink.x), \(request.sink.y))", at: nil))
    }
}
