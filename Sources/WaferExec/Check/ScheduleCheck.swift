import WaferPlan

/// The schedule against the computation's dependencies: the phases tile one decode step from
/// cycle 0 without gaps, in chains (`PlanScheduleChains`: a layer's remote expert slices beside
/// its local experts, from its router allreduce to the join; a reduction may start under the
/// compute phase before it by at most the plan's overlap of that phase, `PlanCheck.overlapAllowed`;
/// a phase may wait for the end of an earlier one holding its line class or bundle); units run in
/// pipeline order (every phase of unit k before any of unit k + 1, since each unit reads what the
/// previous one wrote; a layer's join after its slices excepted); every flow runs in one stretch of
/// consecutive phases of its own unit; the predicted figures agree with the phases and the clock.
/// O(phases + flows).
public enum ScheduleCheck {
    public static func run(_ plan: Plan, log: inout ViolationLog) {
        let s = plan.schedule
        var clock = 0, lastUnit = -1
        let chains = PlanScheduleChains(plan)
        let ends = Set(s.phases.map(\.endCycle))
        var seen: [Int: Int] = [:]   // runs of consecutive phases per flow
        var previousFlow: Int?
        let flows = Dictionary(plan.routing.flows.map { ($0.id, $0) }, uniquingKeysWith: { a, _ in a })
        for (i, p) in s.phases.enumerated() {
            if let expected = chains.misplacedStart(plan, phase: i, ends: ends) ?? (p.endCycle < p.startCycle ? p.startCycle : nil) {
                log.add(.schedule, "phase \(i) (\(p.label)) runs cycles \(p.startCycle)..<\(p.endCycle); its chain lets it start at \(expected)")
            }
            clock = max(clock, p.endCycle)
            if p.unit < lastUnit && !chains.resumes[i] { log.add(.schedule, "phase \(i) (\(p.label)) of unit \(p.unit) runs after unit \(lastUnit), against the pipeline order") }
            lastUnit = max(lastUnit, p.unit)
            if !plan.units.indices.contains(p.unit) { log.add(.schedule, "phase \(i) (\(p.label)): unit \(p.unit) is not in the plan") }
            defer { previousFlow = p.flow }
            if let f = p.flow {
                // A flow may take several consecutive phases (a wafer link: to the edge, the
                // system link, from the edge); it must run as one stretch.
                if previousFlow != f { seen[f, default: 0] += 1 }
                if let flow = flows[f], flow.unit != p.unit { log.add(.schedule, "phase \(i) runs flow \(f) (\(flow.label)) of unit \(flow.unit) in unit \(p.unit)'s time") }
                if flows[f] == nil { log.add(.schedule, "phase \(i) (\(p.label)) runs flow \(f): no such flow in the plan") }
            }
        }
        for f in plan.routing.flows where seen[f.id] != 1 {
            log.add(.schedule, "flow \(f.id) (\(f.label), unit \(f.unit)) runs in \(seen[f.id] ?? 0) separate stretches of the schedule, not one")
        }
        if clock != s.cyclesPerToken { log.add(.schedule, "the phases end at cycle \(clock), the schedule claims \(s.cyclesPerToken) cycles per token") }
        if s.cyclesPerToken > 0, abs(s.tokensPerS - s.clockMhz * 1e6 / Double(s.cyclesPerToken)) > 1e-6 * s.tokensPerS {
            log.add(.schedule, "\(s.tokensPerS) tokens/s is not the \(s.clockMhz) MHz clock over \(s.cyclesPerToken) cycles")
        }
        for f in plan.routing.flows {
            if let c = f.lineClass, !plan.routing.classes.contains(where: { $0.id == c }) { log.add(.route, "flow \(f.id) (\(f.label)): no such line class \(c) in the plan") }
            for b in f.bundles where !plan.routing.bundles.contains(where: { $0.id == b }) { log.add(.route, "flow \(f.id) (\(f.label)): no such bundle \(b) in the plan") }
        }
    }
}
