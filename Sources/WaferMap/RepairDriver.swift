import Foundation
import WaferBackend
import WaferExec
import WaferFrontend
import WaferIR
import WaferPasses
import WaferPlan
import WaferSupport
import WaferTarget
import WaferYAML

/// What `wafermap repair PLAN --defects NEW -o PLAN2` needs.
public struct RepairRequest: Sendable {
    public var planPath: String
    /// The defect map of the wafers as they are now (all of the plan's wafers), or with
    /// `addDefects` the new defects alone.
    public var defectsPath: String
    /// `defectsPath` lists only new defects: they are added to the plan's own (the union, wafer
    /// by wafer; wafers the map does not list get none). Then no PE or link can revive.
    public var addDefects = false
    /// Accept a map in which PEs or links dead in the plan are live again (a replaced or
    /// re-tested wafer). Without it such a map is refused: it is almost always a map of new
    /// defects alone, or of other wafers, and would silently put tiles on PEs known dead.
    public var allowRevive = false
    public var outputPath: String
    /// The model file; nil: the path the plan records (`inputs.model_path`). Its SHA-256 must
    /// match the plan's either way.
    public var modelPath: String?
    /// Replay every wafer in the executor, not only the repaired ones.
    public var fullCheck = false
    public init(planPath: String, defectsPath: String, outputPath: String) {
        self.planPath = planPath; self.defectsPath = defectsPath; self.outputPath = outputPath
    }
}

/// The outcome of a repair: the plan as written, what moved, and the executor's verdict.
public struct RepairResult: Sendable {
    public var original: Plan
    public var plan: Plan
    public var planPath: String
    public var planBytes: Int
    public var delta: RepairDelta
    /// The consistency check's problems with the repaired plan (empty: consistent).
    public var problems: [String]
    /// The executor's verdict; `checkedWafers` says which wafers it replayed.
    public var execution: Executor.Report
    public var checkedWafers: [Int]
    public var timings: [StepTiming]
    public var totalSeconds: Double
}

extension Driver {
    /// Incremental re-placement and re-routing after new defects (docs/repair.md).
    ///
    /// 1. Read the plan and the new map; a wafer is *touched* when its dead PEs or links differ.
    /// 2. Rebuild the IR from the model file (its digest must match the plan's) with the plan's
    ///    deployment and precision, and run the pipeline with `LayoutPins`: the partition and
    ///    every slot grid as in the plan, each stacking group on its slot unless the new defects
    ///    made the slot unusable (then the nearest free usable slot), untouched wafers' routing
    ///    kept, touched wafers routed afresh against the new defects; then the schedule.
    /// 3. Build the plan, check that every untouched wafer's part (grid, defects, units, classes,
    ///    bundles, exception routes) is identical to the input's, write it atomically, read it
    ///    back, and run the executor on the touched wafers (every wafer with `fullCheck`).
    /// Cost: the front end, O(units) for the pinned passes, routing of the touched wafers only,
    /// plan I/O, and the executor's replay of the wafers it checks.
    public static func repair(_ request: RepairRequest, progress: (String) -> Void = { _ in }) throws(DiagnosticError) -> RepairResult {
        if let problem = OutputPaths.problem(outputs: [.init(path: request.outputPath, flag: "-o")],
                                             inputs: [request.planPath, request.defectsPath] + (request.modelPath.map { [$0] } ?? [])) {
            throw .error(DriverFailure.outputPath, problem, at: nil)
        }
        let clock = ContinuousClock()
        let start = clock.now
        var timings: [StepTiming] = []
        func step<T>(_ name: String, _ body: () throws(DiagnosticError) -> T) throws(DiagnosticError) -> T {
            progress(name)
            let t0 = clock.now
            let value = try body()
            timings.append(StepTiming(name: name, seconds: (clock.now - t0).seconds))
            return value
        }

        let original = try step("read plan") { () throws(DiagnosticError) in try PlanIO.read(path: request.planPath) }
        let target = try PlanPins.target(original, path: request.planPath)
        let readMap = try step("read defects") { () throws(DiagnosticError) in try DefectMapIO.load(path: request.defectsPath, target: target) }
        var newMap: DefectMap
        if request.addDefects {
            newMap = addingPlanDefects(original, to: readMap)
        } else {
            guard readMap.waferCount >= original.wafers.count else {
                throw .error(DriverFailure.waferCount, "the map lists \(Units.count(readMap.waferCount, "wafer")), the plan uses \(original.wafers.count)", at: .startOf(request.defectsPath))
            }
            newMap = readMap
            if !request.allowRevive { try refuseRevivals(original, newMap, path: request.defectsPath) }
        }
        // The spare rows' repair the plan records stays (new defects are holes on top of it).
        if original.wafers.contains(where: { $0.redundancy != nil }) {
            newMap.repairs = newMap.wafers.indices.map { i in
                let r = original.wafers.first { $0.index == i }?.redundancy, holes = newMap.wafers[i].deadPEs.count
                var s = RepairSummary(physicalDeadPEs: (r?.absorbed ?? 0) + holes, absorbed: r?.absorbed ?? 0, holes: holes,
                                      bypassHopsRows: r?.bypassHopsRows ?? 0, bypassHopsColumns: r?.bypassHopsColumns ?? 0)
                (s.rowWindows, s.rowWindowColumns, s.rowWindowsPerBlock, s.blockRows, s.rowLinkHops) = (r?.rowWindows ?? [], r?.rowWindowColumns ?? 64, r?.rowWindowsPerBlock ?? 0, r?.blockRows ?? 0, r?.rowLinkHops ?? 0)
                return s
            }
        }
        guard original.wafers.allSatisfy({ newMap.wafers.indices.contains($0.index) }) else {
            throw .error(DriverFailure.repairInputs, "\(request.planPath): its wafer indices are not 0 to \(original.wafers.count - 1)", at: nil)
        }
        let touched = original.wafers.filter { w in
            let now = newMap.wafers[w.index]
            return now.deadPEs != w.deadPes || now.deadLinks != w.deadLinks
        }.map(\.index)

        let (graph, modelPath, modelBytes) = try step("front end (parse, lower, verify)") { () throws(DiagnosticError) in
            try repairModel(original, request: request)
        }
        var deployment = DeploymentOptions(contextTokens: original.inputs.contextTokens, batch: original.inputs.batch, seed: original.inputs.seed,
                                           sequences: original.inputs.sequences)
        guard let kv = ElementType(rawValue: original.inputs.kvElement) else {
            throw .error(DriverFailure.repairInputs, "\(request.planPath): the KV element type '\(original.inputs.kvElement)' is not one this build knows", at: nil)
        }
        deployment.kvElement = kv
        if let n = Int(original.inputs.wafersRequested) { deployment.wafers = .exactly(n) }
        var context = PassContext(target: target, defects: .map(newMap), deployment: deployment)
        let touchedSet = Set(touched)
        // Untouched wafers keep their defects, so the plan's sealed PEs are still what sealing
        // would find (the splice check below compares them again).
        for w in original.wafers where !touchedSet.contains(w.index) {
            context.assumeEffectiveDefects(WaferDefects(deadPEs: Array(Set(w.deadPes + w.sealedPes)).sorted(), deadLinks: w.deadLinks), forWafer: w.index)
        }
        context.pins = try PlanPins.pins(original, keep: Set(original.wafers.map(\.index)).subtracting(touchedSet), path: request.planPath)

        var repaired = graph
        let manager = PassManager(passes: try PassRegistry.pipeline(through: "schedule"))
        do {
            timings += try manager.run(&repaired, context: context, progress: progress)
        } catch {
            throw DiagnosticError(error.diagnostics.map { d in
                var d = d
                d.message = "cannot repair \(request.planPath): " + d.message
                return d
            })
        }

        let plan = try step("emit plan") { () throws(DiagnosticError) -> Plan in
            var summary = "\(request.defectsPath): \(Units.count(newMap.waferCount, "wafer")), \(Units.count(newMap.totalDeadPEs, "dead PE")), \(Units.count(newMap.totalDeadLinks, "dead link")) (repair of \(request.planPath))"
            if request.addDefects {
                summary = "the defects of \(request.planPath) plus \(request.defectsPath) (\(Units.count(readMap.totalDeadPEs, "dead PE")), \(Units.count(readMap.totalDeadLinks, "dead link"))): \(Units.count(newMap.totalDeadPEs, "dead PE")), \(Units.count(newMap.totalDeadLinks, "dead link")) in all"
            }
            let built = try PlanBuilder.build(graph: repaired, target: target, context: context,
                                              provenance: .init(modelPath: modelPath, modelBytes: modelBytes, defects: summary,
                                                                wafersRequested: original.inputs.wafersRequested, precision: original.inputs.precision))
            try checkUntouched(original, built, touched: touchedSet)
            return built
        }
        let planBytes = try step("write plan") { () throws(DiagnosticError) in try PlanIO.write(plan, to: request.outputPath) }

        let (problems, reread) = try step("check plan") { () throws(DiagnosticError) -> ([String], Plan) in
            let reread = try PlanIO.read(path: request.outputPath)
            var problems: [String] = []
            if reread != plan { problems.append("the plan read back from \(request.outputPath) differs from the one written") }
            return (problems + PlanCheck.problems(reread), reread)
        }
        // Small plans are replayed whole (the full numeric check needs every wafer); large ones
        // on the touched wafers, whose units the numeric sample comes from.
        var options = Executor.Options()
        options.numeric = true
        options.seed = original.inputs.seed
        options.largeModelSample = 2
        let whole = request.fullCheck || Executor.parameters(plan) <= options.fullNumericLimit
        options.wafers = whole ? nil : touchedSet
        let checked = whole ? plan.wafers.map(\.index) : touched
        let execution = try step("execute plan") { () throws(DiagnosticError) -> Executor.Report in
            return Executor.run(reread, options: options)
        }
        let delta = RepairDelta(original: original, repaired: plan, touched: touched)
        return RepairResult(original: original, plan: plan, planPath: request.outputPath, planBytes: planBytes, delta: delta, problems: problems,
                            execution: execution, checkedWafers: checked, timings: timings, totalSeconds: (clock.now - start).seconds)
    }

    /// The plan's own defects with `added`'s on top, wafer by wafer (`--add-defects`). Wafers
    /// the map does not list get no new defects; wafers beyond the plan's are kept as listed.
    /// O(dead PEs + dead links).
    static func addingPlanDefects(_ plan: Plan, to added: DefectMap) -> DefectMap {
        var wafers = added.wafers
        for w in plan.wafers where (0..<DefectMapIO.maxWafers).contains(w.index) {
            while wafers.count <= w.index { wafers.append(.none) }
            let extra = wafers[w.index]
            wafers[w.index] = WaferDefects(deadPEs: w.deadPes + extra.deadPEs, deadLinks: w.deadLinks + extra.deadLinks)
        }
        return DefectMap(targetName: added.targetName, fabricWidth: added.fabricWidth, fabricHeight: added.fabricHeight, wafers: wafers)
    }

    /// Refuses a map in which PEs or links the plan records as dead are live: how many, on
    /// which wafers, the first few PEs as (x, y). O(dead PEs + dead links) with sorted arrays.
    static func refuseRevivals(_ plan: Plan, _ map: DefectMap, path: String) throws(DiagnosticError) {
        var notes: [Diagnostic] = []
        var totalPEs = 0, totalLinks = 0, wafers = 0
        let width = max(plan.target.fabricWidth, 1)
        for w in plan.wafers where map.wafers.indices.contains(w.index) {
            let now = map.wafers[w.index]
            let pes = w.deadPes.filter { !now.isDead(pe: $0) }
            let links = w.deadLinks.filter { !now.isDead(link: $0) }
            guard !pes.isEmpty || !links.isEmpty else { continue }
            totalPEs += pes.count
            totalLinks += links.count
            wafers += 1
            if notes.count < 8 {
                var text = "wafer \(w.index): \(Units.grouped(pes.count)) of the plan's \(Units.count(w.deadPes.count, "dead PE")) live here"
                if !pes.isEmpty {
                    let shown = pes.prefix(5).map { "(\(Int($0) % width), \(Int($0) / width))" }.joined(separator: ", ")
                    text += ", first \(shown)\(pes.count > 5 ? ", ..." : "")"
                }
                if !links.isEmpty { text += "; \(Units.count(links.count, "dead link")) live here" }
                notes.append(.note(text))
            }
        }
        guard totalPEs > 0 || totalLinks > 0 else { return }
        if wafers > notes.count { notes.append(.note("and \(wafers - notes.count) more wafers")) }
        notes.append(.note("a map for repair lists every defect of the wafers as they are now, the plan's own included"))
        notes.append(.note("if the map holds only new defects, pass it as --add-defects MAP (added to the plan's own); if those PEs really work again (a replaced or re-tested wafer), add --allow-revive"))
        let what = [totalPEs > 0 ? Units.count(totalPEs, "PE") : nil, totalLinks > 0 ? Units.count(totalLinks, "link") : nil]
            .compactMap { $0 }.joined(separator: " and ")
        throw DiagnosticError(Diagnostic(.error, DriverFailure.repairRevive, "\(what) dead in the plan \(totalPEs + totalLinks == 1 ? "is" : "are") live in this defect map, on \(Units.count(wafers, "wafer")); refusing to revive them", at: .startOf(path), notes: notes))
    }

    /// The model the plan was compiled from, at the plan's precision: its path, bytes and graph.
    static func repairModel(_ plan: Plan, request: RepairRequest) throws(DiagnosticError) -> (Graph, String, Data) {
        let path = request.modelPath ?? plan.inputs.modelPath
        let bytes: Data
        switch BoundedFile.read(path: path, maxBytes: YAMLLimits.default.maxFileBytes) {
        case let .success(data): bytes = data
        case let .failure(failure):
            throw DiagnosticError(Diagnostic(.error, DriverFailure.modelUnreadable, "cannot read the model '\(path)' the plan was compiled from: \(BoundedFile.reason(failure, maxBytes: YAMLLimits.default.maxFileBytes))", at: nil,
                                             notes: [.note("pass --model FILE when the model file has moved")]))
        }
        let digest = SHA256.hex(bytes)
        guard digest == plan.inputs.modelSha256 else {
            throw .error(DriverFailure.repairModel, "\(path) is not the model \(request.planPath) was compiled from: its SHA-256 is \(digest), the plan records \(plan.inputs.modelSha256)", at: nil)
        }
        var graph = try ModelLoader.load(path: path)
        if graph.precision.description != plan.inputs.precision {
            guard let format = FormatDecoder.parse(plan.inputs.precision) else {
                throw .error(DriverFailure.repairInputs, "\(request.planPath): the precision '\(plan.inputs.precision)' is neither the model's own nor one --precision accepts", at: nil)
            }
            applyPrecision(format, to: &graph)
            guard graph.precision.description == plan.inputs.precision else {
                throw .error(DriverFailure.repairInputs, "\(request.planPath): the precision '\(plan.inputs.precision)' does not reproduce", at: nil)
            }
        }
        return (graph, path, bytes)
    }

    /// Every part of an untouched wafer must come out of a repair exactly as it went in; a
    /// difference means the pinned passes did not reproduce the plan (another compiler version,
    /// or a bug), and the repair stops instead of writing a plan that mixes two layouts. Class
    /// and bundle ids are compared by position within their wafer (a re-tiled wafer before an
    /// untouched one can shift them). O(units + classes + bundles + exception routes).
    static func checkUntouched(_ old: Plan, _ new: Plan, touched: Set<Int>) throws(DiagnosticError) {
        func fail(_ what: String) -> DiagnosticError {
            DiagnosticError(Diagnostic(.error, DriverFailure.repairMismatch, "the repair did not reproduce \(what) of the input plan; was it written by another version of wafermap (it says \(old.compilerVersion))?", at: nil,
                                       notes: [.note("compile the model again with the new defect map")]))
        }
        guard old.wafers.count == new.wafers.count, old.units.count == new.units.count else { throw fail("the wafer and unit counts") }
        for (a, b) in zip(old.wafers, new.wafers) where !touched.contains(a.index) && a != b { throw fail("wafer \(a.index)") }
        for (a, b) in zip(old.units, new.units) {
            guard a.name == b.name, a.wafer == b.wafer, a.experts == b.experts, a.ops == b.ops else { throw fail("the partition (unit \(a.name))") }
            if !touched.contains(a.wafer) && a != b { throw fail("unit \(a.name)") }
        }
        let (oldClasses, newClasses) = (WaferRelative(old), WaferRelative(new))
        for w in old.wafers.map(\.index) where !touched.contains(w) {
            guard oldClasses.classes(w) == newClasses.classes(w) else { throw fail("the line classes of wafer \(w)") }
            guard oldClasses.bundles(w) == newClasses.bundles(w) else { throw fail("the bundles of wafer \(w)") }
            guard oldClasses.exceptions(w) == newClasses.exceptions(w) else { throw fail("the exception routes of wafer \(w)") }
        }
    }
}
