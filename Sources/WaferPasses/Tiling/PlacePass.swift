import WaferIR
import WaferSupport
import WaferTarget

/// Puts each wafer's stacking groups onto usable slots, in pipeline order, so that every
/// hand-off from one group to the next is short.
///
/// Start: the groups take usable slots in boustrophedon (snake) order over the slot grid, which
/// on a defect-free grid already meets the lower bound. Then simulated annealing (Kirkpatrick et
/// al. 1983, with VPR's adaptive schedule: Betz & Rose 1997) improves it: a move swaps the slots
/// of two groups or moves a group to a free usable slot; the cost is the total Manhattan
/// distance between consecutive groups' slot centres. A slot is usable when each of its rows has
/// at most `spareColumns` dead PEs: the tile of a dead home PE then moves to a live spare PE of
/// its row (`WaferTiling.physicalColumn`), so no tile lands on a defect. Seeded by `--seed` and the
/// wafer index: deterministic. O(moves) = O(groups^(4/3) x temperatures) per wafer. With
/// `LayoutPins` (repair), a wafer still on its pinned grid keeps its groups' slots (`keep`).
public struct PlacePass: Pass {
    public let name = "place"
    public let summary = "assign each wafer's slot groups to usable slots, minimising hand-off distance (simulated annealing)"

    public init() {}

    public func run(_ graph: inout Graph, context: PassContext) throws(DiagnosticError) {
        var layout = try require(graph.layout, from: "tile")
        let target = try requireTarget(context)
        for index in layout.wafers.indices {
            var tiling = layout.wafers[index]
            if let pin = context.pins?.wafer(tiling.wafer), pin.grid == tiling.grid {
                let slots = try Self.keep(pin.groupSlots, tiling: tiling)
                tiling.groupSlot = slots
                tiling.handoffHops = tiling.handoff(slots)
                tiling.handoffLowerBound = max(0, tiling.groupCount - 1) * min(tiling.slotWidth + tiling.spareColumns, tiling.slotHeight)
                try Self.checkDefects(tiling, target: target, defects: context.effectiveDefects(forWafer: tiling.wafer) ?? .none)
                layout.wafers[index] = tiling
                continue
            }
            let free = snake(tiling).filter { tiling.usableSlots[$0] }
            guard free.count >= tiling.groupCount else {
                throw .error(PassFailure.placeTooFewSlots, "wafer \(tiling.wafer) has \(free.count) usable slots for \(tiling.groupCount) groups", at: nil)
            }
            var slots = Array(free.prefix(tiling.groupCount))
            var rng = SeededRNG(seed: context.deployment.seed, stream: UInt64(tiling.wafer) &+ 0x5EED)
            slots = anneal(slots, free: free, tiling: tiling, config: context.options.place, rng: &rng)
            tiling.groupSlot = slots
            tiling.handoffHops = tiling.handoff(slots)
            let pitch = min(tiling.slotWidth + tiling.spareColumns, tiling.slotHeight)
            tiling.handoffLowerBound = max(0, tiling.groupCount - 1) * pitch
            try Self.checkDefects(tiling, target: target, defects: context.effectiveDefects(forWafer: tiling.wafer) ?? .none)
            layout.wafers[index] = tiling
        }
        layout.seed = context.deployment.seed
        graph.layout = layout
    }

    /// Slot indices in boustrophedon order: left to right on even grid rows, right to left on odd.
    func snake(_ tiling: WaferTiling) -> [Int] {
        var order: [Int] = []
        for row in 0..<tiling.gridRows {
            let columns = Array(0..<tiling.gridColumns)
            for column in row % 2 == 0 ? columns : columns.reversed() { order.append(row * tiling.gridColumns + column) }
        }
        return order
    }

    /// Simulated annealing over the slot assignment from `start` (distinct slots of `free`, one
    /// per group), with `config`'s schedule (`PlaceConfig`: VPR's). Returns the best assignment
    /// seen; its `tiling.handoff` cost is never above `start`'s. O(steps x movesPerStep x groups).
    func anneal(_ start: [Int], free: [Int], tiling: WaferTiling, config: PlaceConfig, rng: inout SeededRNG) -> [Int] {
        let groups = start.count
        guard groups >= 2 || free.count > groups else { return start }
        var current = start
        var cost = tiling.handoff(current)
        var best = current, bestCost = cost
        let used = Set(current)
        var unused = free.filter { !used.contains($0) }
        let pitch = Double(max(1, min(tiling.slotWidth + tiling.spareColumns, tiling.slotHeight)))
        var temperature = pitch * config.startTemperaturePitches
        let movesPerTemperature = config.movesPerStep(groups: groups)
        for _ in 0..<config.steps {
            var accepted = 0
            for _ in 0..<movesPerTemperature {
                var candidate = current
                var newUnused = unused
                if !unused.isEmpty && (groups < 2 || rng.below(2) == 0) {
                    let g = rng.below(groups), u = rng.below(unused.count)
                    (candidate[g], newUnused[u]) = (unused[u], candidate[g])
                } else if groups >= 2 {
                    let a = rng.below(groups), b = rng.below(groups)
                    if a == b { continue }
                    candidate.swapAt(a, b)
                } else {
                    continue
                }
                let newCost = tiling.handoff(candidate)
                let delta = Double(newCost - cost)
                if delta <= 0 || rng.unit() < exp(-delta / temperature) {
                    current = candidate
                    unused = newUnused
                    cost = newCost
                    accepted += 1
                    if cost < bestCost { best = current; bestCost = cost }
                }
            }
            // VPR-style schedule: cool slowly while about half the moves are accepted.
            let rate = Double(accepted) / Double(movesPerTemperature)
            temperature *= config.coolingFactor(acceptanceRate: rate)
            if temperature < config.stopTemperaturePitches * pitch || bestCost == 0 { break }
        }
        return best
    }

    /// Pinned placement (`LayoutPins`): every group keeps its slot, except a group whose slot the
    /// current defects made unusable, which moves to the free usable slot closest to its
    /// neighbours in pipeline order (sum of Manhattan distances to the previous and next groups'
    /// slots; ties to the lowest slot index). Groups move in order, so each sees where the ones
    /// before it went. Throws when no usable slot is free. O(groups x slots).
    static func keep(_ pinned: [Int], tiling: WaferTiling) throws(DiagnosticError) -> [Int] {
        guard pinned.count == tiling.groupCount, pinned.allSatisfy({ (0..<tiling.slotCount).contains($0) }), Set(pinned).count == pinned.count else {
            throw .error(PassFailure.placePins, "wafer \(tiling.wafer)'s pinned slots \(pinned) are not \(tiling.groupCount) distinct slots of its \(tiling.slotCount)", at: nil)
        }
        var slots = pinned
        for g in slots.indices where !tiling.usableSlots[slots[g]] {
            let taken = Set(slots)
            var best: (cost: Int, slot: Int)?
            for s in 0..<tiling.slotCount where tiling.usableSlots[s] && !taken.contains(s) {
                var cost = 0
                if g > 0 { cost += tiling.distance(slots[g - 1], s) }
                if g + 1 < slots.count { cost += tiling.distance(s, slots[g + 1]) }
                if best.map({ cost < $0.cost }) ?? true { best = (cost, s) }
            }
            guard let best else {
                throw DiagnosticError(Diagnostic(.error, PassFailure.placeNoFreeSlot, "wafer \(tiling.wafer): group \(g)'s slot \(slots[g]) now has a row with more dead PEs than its \(tiling.spareColumns) spare columns, and no usable slot is free to move it to", at: nil,
                                                 notes: [.note("compile the model again with the new defect map: the wafer needs another slot grid")]))
            }
            slots[g] = best.slot
        }
        return slots
    }

    /// Every used slot must leave each row enough live PEs for its tiles. O(dead PEs).
    static func checkDefects(_ tiling: WaferTiling, target: Target, defects: WaferDefects) throws(DiagnosticError) {
        guard let slots = tiling.groupSlot, !defects.deadPEs.isEmpty else { return }
        var deadPerRow: [Int: Int] = [:]
        let usedRects = slots.map { tiling.rect(ofSlot: $0) }
        for index in defects.deadPEs {
            let x = Int(index) % target.fabricWidth, y = Int(index) / target.fabricWidth
            for (g, r) in usedRects.enumerated() where x >= r.x && x < r.x + r.width && y >= r.y && y < r.y + r.height {
                let key = g * target.fabricHeight + y
                deadPerRow[key, default: 0] += 1
                if deadPerRow[key, default: 0] > tiling.spareColumns {
                    throw .error(PassFailure.invariant, "internal: slot \(slots[g]) of wafer \(tiling.wafer) has more dead PEs in row \(y) than spare columns", at: nil)
                }
            }
        }
    }
}

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
