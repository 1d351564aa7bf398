import Foundation
import WaferIR
import WaferPasses
import WaferPerf
import WaferPlan
import WaferSupport
import WaferTarget

/// The back end: turns a scheduled graph into a `Plan` (docs/plan-format.md). Symbolic where the
/// IR is symbolic (slot grids, line classes, bundles); explicit only for defects and exception
/// routes. O(units x tensors + classes + bundles + exception hops + dead PEs).
public enum PlanBuilder {
    /// What the plan records about how it was compiled.
    public struct Provenance: Sendable {
        public var modelPath: String
        public var modelBytes: Data
        public var defects: String
        public var wafersRequested: String
        public var precision: String
        public init(modelPath: String, modelBytes: Data, defects: String, wafersRequested: String, precision: String) {
            self.modelPath = modelPath; self.modelBytes = modelBytes; self.defects = defects
            self.wafersRequested = wafersRequested; self.precision = precision
        }
    }

    public static func build(graph: Graph, target: Target, context: PassContext, provenance: Provenance) throws(DiagnosticError) -> Plan {
        guard let layout = graph.layout, let routing = graph.routing, let schedule = graph.schedule, let partition = graph.partition else {
            throw .error(BackendFailure.invariant, "internal: the plan needs a partitioned, placed, routed and scheduled graph", at: nil)
        }
        let planTarget = Self.target(target)
        // Wafers: the tiling rule's parameters, defects and the overlay.
        var wafers: [PlanWafer] = []
        var defectLists: [[[Int32]]] = []
        for tiling in layout.wafers {
            guard let raw = context.defects.defects(forWafer: tiling.wafer), let effective = context.effectiveDefects(forWafer: tiling.wafer) else {
                throw .error(BackendFailure.noDefects, "the defect map has no entry for wafer \(tiling.wafer)", at: nil)
            }
            let dead = Set(raw.deadPEs)
            let sealed = effective.deadPEs.filter { !dead.contains($0) }
            let summary = routing.wafers.first { $0.wafer == tiling.wafer } ?? WaferRoutingSummary(wafer: tiling.wafer)
            defectLists.append([raw.deadPEs, raw.deadLinks])
            wafers.append(PlanWafer(index: tiling.wafer, gridColumns: tiling.gridColumns, gridRows: tiling.gridRows, slotWidth: tiling.slotWidth,
                                    slotHeight: tiling.slotHeight, spareColumns: tiling.spareColumns, originX: tiling.originX, originY: tiling.originY,
                                    groupSlots: tiling.groupSlot ?? [], groupBytesPerPe: tiling.groupBytesPerPE, deadPes: raw.deadPEs,
                                    sealedPes: sealed, deadLinks: raw.deadLinks, paletteColors: summary.classColors,
                                    maxColorsPerPe: summary.maxColorsPerPE, maxLinkLoadWavelets: summary.maxLinkLoadWavelets,
                                    overlayPes: summary.overlayPEs, overlayColors: summary.overlayColors, unresolvedPes: summary.unresolvedPEs,
                                    redundancy: context.defects.repair(forWafer: tiling.wafer).map(Self.redundancy)))
        }
        // Units and their tensors' tiles, in the order a token visits them (the layout's order
        // but for a tied head, which runs last on its weight's wafer); `position` maps a layout
        // unit index to its plan index for the flows and phases.
        let order = layout.executionOrder
        var position = [Int](repeating: 0, count: layout.units.count)
        for (planIndex, layoutIndex) in order.enumerated() { position[layoutIndex] = planIndex }
        var units: [PlanUnit] = []
        for unit in order.map({ layout.units[$0] }) {
            guard let tiling = layout.wafers.first(where: { $0.wafer == unit.wafer }), let slots = tiling.groupSlot,
                  slots.indices.contains(unit.group) else {
                throw .error(BackendFailure.invariant, "internal: unit \(unit.name) has no slot", at: nil)
            }
            var tensors: [PlanTensor] = []
            var ops: [PlanOp] = []
            for opIndex in unit.ops where graph.ops.indices.contains(opIndex) && (unit.holdsBase || unit.expertOp == opIndex) {
                ops.append(PlanOps.planOp(graph.ops[opIndex]))
            }
            for opIndex in unit.ops where graph.ops.indices.contains(opIndex) {
                let op = graph.ops[opIndex]
                for tensor in op.weights {
                    let inCells = tensor.expertStacked && unit.cells != nil
                    if tensor.expertStacked && (unit.experts.isEmpty || unit.expertOp != opIndex) { continue }
                    if !tensor.expertStacked && !unit.holdsBase { continue }
                    let dense = unit.denseShape(on: tiling)
                    let width = inCells ? (unit.cells?.cellWidth ?? tiling.slotWidth) : dense.width
                    let height = inCells ? (unit.cells?.cellHeight ?? tiling.slotHeight) : dense.height
                    let block = tileBlock(of: tensor, width: width, height: height)
                    tensors.append(PlanTensor(op: op.name, name: tensor.name, shape: tensor.shape, format: tensor.format.description,
                                              orientation: PlanOrientation(tensor: tensor),
                                              region: inCells ? .cell : .slot, tileRows: block.rows, tileCols: block.cols,
                                              bytesPerPe: tileBytes(of: tensor, width: width, height: height)))
                }
            }
            let cells = unit.cells.map { PlanCells(columns: $0.columns, rows: $0.rows, cellWidth: $0.cellWidth, cellHeight: $0.cellHeight, expertsPerCell: $0.expertsPerCell) }
            units.append(PlanUnit(name: unit.name, wafer: unit.wafer, group: unit.group, slot: slots[unit.group],
                                  experts: [unit.experts.lowerBound, unit.experts.upperBound], cells: cells,
                                  denseBytesPerPe: unit.denseBytesPerPE, expertBytesPerPe: unit.expertBytesPerPE, kvBytesPerPe: unit.kvBytesPerPE,
                                  modeledCycles: unit.modeledCycles, ops: ops, tensors: tensors,
                                  denseRegion: unit.region.map { PlanDenseRegion(width: $0.width, height: $0.height, row0: $0.row0) }))
        }
        var planRouting = Self.routing(routing, width: target.fabricWidth)
        for i in planRouting.flows.indices where position.indices.contains(planRouting.flows[i].unit) {
            planRouting.flows[i].unit = position[planRouting.flows[i].unit]
        }
        let planSchedule = PlanSchedule(clockMhz: schedule.clockMHz, cyclesPerToken: schedule.cyclesPerToken, tokensPerS: schedule.tokensPerSecond,
                                        cyclesByKind: Dictionary(uniqueKeysWithValues: schedule.cyclesByKind.map { ($0.key.rawValue, $0.value) }),
                                        slowestUnit: position.indices.contains(schedule.slowestUnit) ? position[schedule.slowestUnit] : schedule.slowestUnit,
                                        phases: schedule.phases.map { PlanPhase(unit: position.indices.contains($0.unit) ? position[$0.unit] : $0.unit,
                                                                                kind: PlanPhaseKind($0.kind), label: $0.label, flow: $0.flow,
                                                                                startCycle: $0.start, endCycle: $0.end) },
                                        constants: schedule.constants)
        // Summary figures, from the same quality report `place` prints.
        let quality = PlacementQuality(graph: graph, target: target, defects: context.defects)
        let statistics: ModelStatistics
        do { statistics = try graph.statistics() } catch { throw .error(BackendFailure.overflow, "the model's total \(error.what) overflow 64-bit integers", at: nil) }
        let kvBytes = partition.stages.reduce(0) { $0 + $1.kvBytes }
        let summary = PlanSummary(wafers: layout.wafers.count, wafersLowerBound: partition.lowerBoundWafers, weightBytes: statistics.weightBytes,
                                  kvCacheBytes: kvBytes, pesUsed: quality?.pesUsed ?? 0, pesUsable: quality?.pesUsable ?? 0,
                                  sramUsedBytes: quality?.sramBytesUsed ?? 0, sramUsableBytes: quality?.sramBytesUsable ?? 0,
                                  tokensPerS: schedule.tokensPerSecond, cyclesPerToken: schedule.cyclesPerToken, maxColorsPerPe: routing.maxColorsPerPE,
                                  exceptionRoutes: routing.exceptions.count, overlayRoutes: routing.overlayRoutes, unresolvedRoutes: routing.unresolved)
        let deployment = context.deployment
        var inputs = PlanInputs(modelName: graph.name, modelPath: provenance.modelPath, modelSha256: SHA256.hex(provenance.modelBytes),
                                targetSha256: try digest(planTarget), defectsSha256: try digest(defectLists), defects: provenance.defects,
                                seed: deployment.seed, contextTokens: deployment.contextTokens, batch: deployment.batch,
                                kvElement: deployment.kvElement.rawValue, wafersRequested: provenance.wafersRequested, precision: provenance.precision)
        inputs.sequences = deployment.residentSequences > deployment.batch ? deployment.residentSequences : nil
        return Plan(compilerVersion: WaferMapVersion.string, inputs: inputs, target: planTarget, summary: summary, wafers: wafers, units: units,
                    routing: planRouting, schedule: planSchedule)
    }

    /// SHA-256 of a value's canonical JSON (`PlanIO.canonicalJSON`).
    static func digest<T: Encodable>(_ value: T) throws(DiagnosticError) -> String {
        SHA256.hex(try PlanIO.canonicalJSON(value))
    }

    public static func target(_ t: Target) -> PlanTarget {
        PlanTarget(name: t.name, fabricWidth: t.fabricWidth, fabricHeight: t.fabricHeight, haloWest: t.halo.west, haloEast: t.halo.east,
                   haloNorth: t.halo.north, haloSouth: t.halo.south, sramBytesPerPe: t.sramBytesPerPE,
                   runtimeReserveBytesPerPe: t.runtimeReserveBytesPerPE, bufferBytesPerPe: t.bufferBytesPerPE,
                   macsPerCycle: Dictionary(uniqueKeysWithValues: t.macsPerCycle.map { ($0.key.rawValue, $0.value) }),
                   routableColors: t.routableColors, reservedColors: t.reservedColors, clockMhz: t.clockMHz, hopLatencyCycles: t.hopLatencyCycles,
                   rampLatencyCycles: t.rampLatencyCycles, relayLatencyCycles: t.relayLatencyCycles, layerOverheadCycles: t.layerOverheadCycles,
                   waveletBits: t.waveletBits, waferLinkGbps: t.waferLinkGbps, waferLinkLatencyNs: t.waferLinkLatencyNs,
                   reductionOverlap: t.reductionOverlap, kernels: t.kernels?.name)
    }

    /// A wafer's spare-row repair as the plan records it, with the row figure's windows.
    static func redundancy(_ r: RepairSummary) -> PlanRedundancy {
        var record = PlanRedundancy(physicalDeadPes: r.physicalDeadPEs, absorbed: r.absorbed, holes: r.holes,
                                    bypassHopsRows: r.bypassHopsRows, bypassHopsColumns: r.bypassHopsColumns)
        if !r.rowWindows.isEmpty {
            (record.rowWindows, record.rowWindowColumns, record.rowWindowsPerBlock) = (r.rowWindows, r.rowWindowColumns, r.rowWindowsPerBlock)
            (record.blockRows, record.rowLinkHops) = (r.blockRows, r.rowLinkHops)
        }
        return record
    }

    static func routing(_ r: Routing, width: Int) -> PlanRouting {
        let classWafer = Dictionary(uniqueKeysWithValues: r.classes.map { ($0.id, $0.wafer) })
        let bundleWafer = Dictionary(uniqueKeysWithValues: r.bundles.map { ($0.id, $0.wafer) })
        let classes = r.classes.map { c in
            PlanClass(id: c.id, wafer: c.wafer, slot: c.slot, scope: c.scope, axis: PlanAxis(c.axis), columns: [c.columns.lowerBound, c.columns.upperBound],
                      rows: [c.rows.lowerBound, c.rows.upperBound], segment: c.segment, mode: PlanReductionMode(c.mode), groups: c.groups, colors: c.colors,
                      foldedInto: c.foldedInto, loadWavelets: c.loadWavelets, exceptions: c.exceptions, penaltyCycles: c.penaltyCycles)
        }
        let bundles = r.bundles.map { b in
            PlanBundle(id: b.id, wafer: b.wafer, label: b.label, lanes: b.lanes, sourceRow: b.sourceRow, sinkRow: b.sinkRow, rowStep: b.rowStep,
                       firstColumn: b.firstColumn, columnStep: b.columnStep, skipColumns: b.skipColumns, sinkColumn: b.sinkColumn, color: b.color,
                       hops: b.hops, loadWavelets: b.loadWavelets, exceptions: b.exceptions, penaltyCycles: b.penaltyCycles)
        }
        var exceptions = PlanExceptions()
        exceptions.reserve(r.exceptions.count)
        for e in r.exceptions {
            let bundle = e.role == .lane
            exceptions.append(PlanException(wafer: (bundle ? bundleWafer[e.owner] : classWafer[e.owner]) ?? -1, ownerKind: bundle ? .bundle : .lineClass,
                                 owner: e.owner, role: PlanRouteRole(e.role), carries: e.carries.map(PlanRouteRole.init), line: e.line, position: e.position,
                                 start: e.path.first ?? -1, moves: moves(e.path, width: width), colors: e.colors, runStarts: e.runStarts,
                                 overlay: e.overlay, extraHops: e.extraHops, relays: e.relays))
        }
        let flows = r.flows.map { f in
            PlanFlow(id: f.id, unit: f.unit, kind: PlanFlowKind(f.kind), label: f.label, lineClass: f.lineClass, bundles: f.bundles, payloadWavelets: f.payloadWavelets)
        }
        return PlanRouting(colorBudget: r.colorBudget, classes: classes, bundles: bundles, exceptions: exceptions, flows: flows)
    }

    /// A path of neighbouring PEs as move letters (N, E, S, W). O(path).
    static func moves(_ path: [Int32], width: Int) -> String {
        var out: [UInt8] = []
        out.reserveCapacity(path.count)
        for (a, b) in zip(path, path.dropFirst()) {
            switch Int(b) - Int(a) {
            case 1: out.append(UInt8(ascii: "E"))
            case -1: out.append(UInt8(ascii: "W"))
            case width: out.append(UInt8(ascii: "S"))
            case -width: out.append(UInt8(ascii: "N"))
            default: out.append(UInt8(ascii: "?"))  // not neighbours: the plan check rejects it
            }
        }
        return String(decoding: out, as: UTF8.self)
    }
}
