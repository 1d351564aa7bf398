import WaferIR
import WaferPasses
import WaferPlan
import WaferSupport
import WaferTarget

/// Reads back from a plan what incremental recompilation pins (`LayoutPins`): the target, each
/// partition unit's wafer and expert slices, each wafer's slot grid and group slots, and the
/// routing of wafers that keep theirs. The inverse of `PlanBuilder` for those parts; the repair
/// driver checks the round trip (a pinned run reproduces the kept wafers byte for byte).
package enum PlanPins {
    /// The target a plan was compiled for, from the figures it records (any target, built-in or
    /// not); the description is the built-in one when the name and figures match one.
    package static func target(_ plan: Plan, path: String) throws(DiagnosticError) -> Target {
        let t = plan.target
        var macs: [ElementType: Double] = [:]
        for (key, value) in t.macsPerCycle {
            guard let element = ElementType(rawValue: key) else { throw .error(BackendFailure.pins, "\(path): the target lists MACs per cycle for '\(key)', not an element type", at: nil) }
            macs[element] = value
        }
        let builtin = try? BuiltinTargets.resolve(t.name, kernels: t.kernels)
        var target = try Target(figuresFrom: path, name: t.name, description: "", fabricWidth: t.fabricWidth, fabricHeight: t.fabricHeight,
                                halo: Halo(west: t.haloWest, east: t.haloEast, north: t.haloNorth, south: t.haloSouth),
                                sramBytesPerPE: t.sramBytesPerPe, runtimeReserveBytesPerPE: t.runtimeReserveBytesPerPe,
                                bufferBytesPerPE: t.bufferBytesPerPe, macsPerCycle: macs, routableColors: t.routableColors,
                                reservedColors: t.reservedColors, clockMHz: t.clockMhz, hopLatencyCycles: t.hopLatencyCycles,
                                rampLatencyCycles: t.rampLatencyCycles, relayLatencyCycles: t.relayLatencyCycles,
                                layerOverheadCycles: t.layerOverheadCycles, waveletBits: t.waveletBits,
                                waferLinkGbps: t.waferLinkGbps, waferLinkLatencyNs: t.waferLinkLatencyNs,
                                reductionOverlap: t.overlapFraction)
        if let builtin, PlanBuilder.target(builtin) == t { return builtin }
        // The plan records the kernel profile by name only; its figures are already the target's.
        target.kernels = t.kernels.map {
            KernelProfile(name: $0, description: "named by the plan", source: path, matvecEfficiency: .exact(1), dequantCyclesPerWeight: [:],
                          relayCycles: .exact(Double(t.relayLatencyCycles)), layerOverheadCycles: .exact(Double(t.layerOverheadCycles)),
                          reductionOverlap: .exact(t.overlapFraction))
        }
        return target
    }

    /// The defects a plan was compiled against (its wafers' dead PEs and links), as a map.
    package static func defects(_ plan: Plan) -> DefectMap {
        DefectMap(targetName: plan.target.name, fabricWidth: plan.target.fabricWidth, fabricHeight: plan.target.fabricHeight, wafers: plan.wafers.map { WaferDefects(deadPEs: $0.deadPes, deadLinks: $0.deadLinks) })
    }

    /// The partition and slot grids of `plan` as pins, with the routing of `keep` (wafer indices)
    /// kept. A unit named `B experts F..L` for a unit `B` of the plan is a slice of B's routed
    /// experts on another wafer (the tile pass's naming). O(units + classes + bundles +
    /// exception hops of the kept wafers).
    package static func pins(_ plan: Plan, keep: Set<Int>, path: String) throws(DiagnosticError) -> LayoutPins {
        let names = Set(plan.units.map(\.name))
        var order: [String] = []
        var base: [String: (wafer: Int, slices: [ExpertSlice])] = [:]
        var remote: [String: [ExpertSlice]] = [:]
        for unit in plan.units {
            guard unit.experts.count == 2, unit.experts[0] >= 0, unit.experts[1] >= unit.experts[0] else {
                throw .error(BackendFailure.pins, "\(path): unit \(unit.name) has experts \(unit.experts), not a [first, end) range", at: nil)
            }
            let slice = ExpertSlice(wafer: unit.wafer, first: unit.experts[0], count: unit.experts[1] - unit.experts[0])
            if let owner = remoteOwner(unit, names: names) {
                remote[owner, default: []].append(slice)
            } else {
                guard base[unit.name] == nil else { throw .error(BackendFailure.pins, "\(path): two units are named \(unit.name)", at: nil) }
                order.append(unit.name)
                base[unit.name] = (unit.wafer, slice.count > 0 ? [slice] : [])
            }
        }
        var units: [LayoutPins.UnitPin] = []
        for name in order {
            guard let b = base[name] else { continue }
            let slices = (b.slices + (remote[name] ?? [])).sorted { $0.first < $1.first }
            units.append(.init(name: name, wafer: b.wafer, expertSlices: slices))
        }
        // Base units appear in model order: wafers in pipeline order, each's units in model order.
        let wafers = plan.wafers.map { w in
            LayoutPins.WaferPin(wafer: w.index, grid: SlotGrid(columns: w.gridColumns, rows: w.gridRows, slotWidth: w.slotWidth,
                                                               slotHeight: w.slotHeight, spareColumns: w.spareColumns),
                                groupSlots: w.groupSlots)
        }
        for (i, w) in plan.wafers.enumerated() where w.index != i {
            throw .error(BackendFailure.pins, "\(path): wafer entry \(i) is wafer \(w.index); plans list wafers in order", at: nil)
        }
        var kept: [Int: LayoutPins.KeptRouting] = [:]
        guard plan.routing.exceptions.isRectangular else { throw .error(BackendFailure.pins, "\(path): the exception lists have different lengths", at: nil) }
        let rows = plan.routing.exceptions.rowsByWafer()
        for w in plan.wafers where keep.contains(w.index) {
            kept[w.index] = try routing(plan, wafer: w, exceptionRows: rows[w.index] ?? [], path: path)
        }
        return LayoutPins(units: units, wafers: wafers, keptRouting: kept)
    }

    /// The base unit a remote expert slice belongs to, from its name (`B experts F..L`).
    static func remoteOwner(_ unit: PlanUnit, names: Set<String>) -> String? {
        let suffix = " experts \(unit.experts[0])..\(unit.experts[1] - 1)"
        guard unit.name.hasSuffix(suffix) else { return nil }
        let owner = String(unit.name.dropLast(suffix.count))
        return names.contains(owner) ? owner : nil
    }

    /// One wafer's routing as the IR holds it; `exceptionRows` are its rows of the exception
    /// table. O(all classes and bundles + its exception hops).
    static func routing(_ plan: Plan, wafer w: PlanWafer, exceptionRows: [Int], path: String) throws(DiagnosticError) -> LayoutPins.KeptRouting {
        var classes: [LineClass] = []
        for c in plan.routing.classes where c.wafer == w.index {
            let axis = c.axis.ir, mode = c.mode.ir
            guard c.columns.count == 2, c.rows.count == 2,
                  c.columns[0] <= c.columns[1], c.rows[0] <= c.rows[1] else {
                throw .error(BackendFailure.pins, "\(path): line class \(c.id) has a column or row range this build does not read", at: nil)
            }
            var k = LineClass(id: c.id, wafer: c.wafer, slot: c.slot, scope: c.scope, axis: axis, columns: c.columns[0]..<c.columns[1],
                              rows: c.rows[0]..<c.rows[1], segment: c.segment, mode: mode, groups: c.groups, colors: c.colors)
            k.foldedInto = c.foldedInto; k.loadWavelets = c.loadWavelets; k.exceptions = c.exceptions; k.penaltyCycles = c.penaltyCycles
            classes.append(k)
        }
        let bundles = plan.routing.bundles.filter { $0.wafer == w.index }.map { b in
            var k = RouteBundle(id: b.id, wafer: b.wafer, label: b.label, lanes: b.lanes, sourceRow: b.sourceRow, sinkRow: b.sinkRow, rowStep: b.rowStep,
                                firstColumn: b.firstColumn, columnStep: b.columnStep, sinkColumn: b.sinkColumn, sinkSlot: nil)
            k.skipColumns = b.skipColumns; k.color = b.color; k.hops = b.hops; k.loadWavelets = b.loadWavelets
            k.exceptions = b.exceptions; k.penaltyCycles = b.penaltyCycles
            return k
        }
        var exceptions: [RouteException] = []
        let table = plan.routing.exceptions
        for i in exceptionRows {
            let e = table[i]
            let role = e.role.ir
            guard let path = e.path(width: plan.target.fabricWidth, height: plan.target.fabricHeight) else {
                throw .error(BackendFailure.pins, "\(path): exception route \(i) has moves this build does not read", at: nil)
            }
            let carries = e.carries.map(\.ir)
            var k = RouteException(owner: e.owner, role: role, line: e.line, position: e.position, path: path, extraHops: e.extraHops)
            k.carries = carries; k.colors = e.colors; k.runStarts = e.runStarts; k.relays = e.relays; k.overlay = e.overlay
            exceptions.append(k)
        }
        var summary = WaferRoutingSummary(wafer: w.index)
        summary.classColors = w.paletteColors
        summary.maxColorsPerPE = w.maxColorsPerPe
        summary.maxLinkLoadWavelets = w.maxLinkLoadWavelets
        summary.overlayPEs = w.overlayPes
        summary.overlayColors = w.overlayColors
        summary.unresolvedPEs = w.unresolvedPes
        (summary.bypassHopsRows, summary.bypassHopsColumns) = (w.redundancy?.bypassHopsRows ?? 0, w.redundancy?.bypassHopsColumns ?? 0)
        if let r = w.redundancy, let windows = r.rowWindows, let columns = r.rowWindowColumns, let perBlock = r.rowWindowsPerBlock, let blockRows = r.blockRows {
            summary.rowBypass = RowBypassProfile(windows: windows, windowColumns: columns, windowsPerBlock: perBlock, blockRows: blockRows,
                                                 linkHops: r.rowLinkHops ?? 0, wholeWafer: r.bypassHopsRows)
        }
        summary.exceptions = exceptions.count
        summary.overlayRoutes = exceptions.filter(\.overlay).count
        summary.relays = exceptions.reduce(0) { $0 + $1.relays }
        return LayoutPins.KeptRouting(classes: classes, bundles: bundles, exceptions: exceptions, summary: summary)
    }
}
