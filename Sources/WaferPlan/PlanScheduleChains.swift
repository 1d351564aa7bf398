/// The chains a plan's phases form (docs/plan-format.md, "Schedule"): the layer chain, and a
/// branch per remote expert slice (a unit listing a MoE op alone) beside its layer's local
/// experts. A slice's first phase may start when the `router` allreduce of the layer unit listed
/// before it ends (when that unit has none: when the layer's phases listed before it end); every
/// other phase when the phase before it in its chain ends, and a layer's first phase after its
/// slices when its own chain and every slice have ended (the join). A phase may start later at
/// the end of another phase (waiting for a line class or bundle that phase held), or earlier under the overlap rule
/// (`PlanCheck.overlapAllowed`). Read by `PlanCheck` and the executor's `ScheduleCheck`. O(phases).
public struct PlanScheduleChains: Sendable {
    /// Per phase: the cycle its chain lets it start, and the phase before it in its chain.
    public private(set) var ready: [Int] = []
    public private(set) var previous: [Int?] = []
    /// Per phase: a layer's phase listed after its slices' phases (from the join on).
    public private(set) var resumes: [Bool] = []

    /// A unit holding only a slice of a layer's routed experts. O(1).
    public static func isExpertSlice(_ u: PlanUnit) -> Bool { u.ops.count == 1 && u.ops[0].kind == .moe && u.ops[0].layer >= 0 }

    public init(_ plan: Plan) {
        let phases = plan.schedule.phases
        let routers = Set(plan.routing.flows.filter { $0.label == "router" }.map(\.id))
        func slice(_ u: Int) -> Bool { plan.units.indices.contains(u) && Self.isExpertSlice(plan.units[u]) }
        var mainLast: Int?, forkAt: Int?, joinAt = 0, tail: Int?
        for (i, p) in phases.enumerated() {
            let before = i > 0 ? i - 1 : nil
            if slice(p.unit), let b = before, mainLast != nil {
                if phases[b].unit != p.unit {
                    ready.append(forkAt ?? mainLast.map { phases[$0].endCycle } ?? phases[b].endCycle); previous.append(nil)
                } else {
                    ready.append(phases[b].endCycle); previous.append(b)
                }
                resumes.append(false)
                joinAt = max(joinAt, p.endCycle)
                continue
            }
            let back = before.map { slice(phases[$0].unit) && mainLast != nil } ?? false
            if back, let m = mainLast {
                ready.append(max(phases[m].endCycle, joinAt)); previous.append(nil)
                tail = phases[m].unit == p.unit ? p.unit : nil
            } else {
                ready.append(before.map { phases[$0].endCycle } ?? 0); previous.append(before)
                if tail != p.unit { tail = nil }
            }
            resumes.append(tail == p.unit)
            if mainLast.map({ phases[$0].unit != p.unit }) ?? true { forkAt = nil }
            if back { forkAt = nil; joinAt = 0 }
            if let f = p.flow, routers.contains(f) { forkAt = p.endCycle }
            mainLast = i
        }
    }

    /// Nil when phase `i` starts as its chain allows; else the cycle it should start at.
    /// `ends`: the end cycles of every phase. O(1).
    public func misplacedStart(_ plan: Plan, phase i: Int, ends: Set<Int>) -> Int? {
        let p = plan.schedule.phases[i], r = ready[i]
        if p.startCycle == r { return nil }
        if p.startCycle > r && ends.contains(p.startCycle) { return nil }
        if p.startCycle < r, let b = previous[i], PlanCheck.overlapAllowed(plan, previous: plan.schedule.phases[b], phase: p, early: r - p.startCycle) {
            return nil
        }
        return r
    }
}
