import HeapModule
import WaferPlan
import WaferSupport

/// Event-driven simulation of one decode step (batch as planned) over the plan's flows and
/// per-PE compute, independent of the compiler's schedule:
///
/// - **Tasks.** Per unit, in order: the transfers that bring its input (hand-off bundles,
///   wafer links), its compute (the largest per-PE MAC count of its tiles, plus its share of
///   attention over the cached tokens, at the target's MACs per cycle for the element type;
///   quantized formats at the fp16 rate), each allreduce flow, and its elementwise work (norms,
///   activations, softmax over the PE's cached tokens, residual adds: one cycle per element per
///   operation on the PE's slice) plus the target's fixed overhead per decoder layer.
/// - **Dependencies.** A task waits for the task that produces its input: by default the one
///   before it in the unit; a MoE's `shared gate+up` waits for what the `router` waits for, so
///   the shared expert overlaps the routed ones (they use different lines). A layer's remote
///   expert slices (units listing its MoE op alone, right after it in the plan) start when its
///   `router` allreduce ends, and its elementwise work waits for their last tasks too (the join;
///   docs/routing-and-schedule.md, "Remote experts in parallel").
/// - **Overlap.** A unit's first reduction starts the sum over its ops X of
///   H_X = floor(overlap x min(C_X, S_X)) cycles before its compute ends (`TimingTasks`;
///   docs/routing-and-schedule.md, "Overlap"); 0 at the default overlap 0.
/// - **Kinds.** `compute`, `fabric` (allreduces), `handoff` (on-wafer transfers between slots,
///   to and from the wafer edge, and the fan-out that follows them), `wafer-link`, `elementwise`.
/// - **Resources.** A line class (its links), a bundle, a wafer link carry one transfer at a
///   time: a task that needs a busy resource waits (link contention). A wafer link holds both
///   its sending and its receiving edge bundle.
/// - **Allreduce time** on a line of P PEs with G groups of g (the plan's tree): streams toward
///   the group middles (g/2 hops, each a receive-add-send relay), the leader chain (G/2 relays,
///   P/2 hops), the broadcast back (P/2 hops), the payload streamed once per phase, plus what
///   the class's worst line segment's exception routes add, re-derived from their paths by the
///   allreduce's structure (`DefectPenalty`), plus the payload once more on a detoured class.
///
/// Reports cycles per token, tokens/s, and the critical path (the chain of tasks that fixed the
/// end time). O(tasks log tasks + exception routes).
public struct TimingSimulation: Sendable {
    public struct Task: Sendable, Codable, Equatable {
        public var unit: Int
        public var label: String
        public var kind: String
        public var start: Int
        public var end: Int
    }
    public var cyclesPerToken = 0
    public var tokensPerS = 0.0
    public var cyclesByKind: [String: Int] = [:]
    public var criticalPath: [Task] = []
    public var taskCount = 0
    /// Cycles of the decoder layers' own tasks (compute, allreduces, elementwise work and
    /// overhead), transfers into them excluded: what WaferLLM times (one layer x layers).
    public var decoderLayerCycles = 0
    public var decoderLayers = 0
    /// Cycles the reductions run under the compute before them (docs/routing-and-schedule.md,
    /// "Overlap"; 0 when strictly phased): `cyclesByKind` counts every task in full.
    public var overlappedCycles = 0
    /// Cycles tasks run beside others on no common chain (remote expert slices beside their
    /// layer's local experts): the kinds minus `overlappedCycles` minus these is `cyclesPerToken`.
    public var parallelCycles = 0

    /// Builds the tasks of one decode step (`TimingTasks`), runs them (`run`), and reads off
    /// the cycles per token, the split by kind, the decoder layers' own cycles and the
    /// critical path. O(tasks log tasks + exception routes).
    public init(plan: Plan) {
        let built = TimingTasks(plan: plan)
        let tasks = built.tasks
        let (start, end, cause) = Self.run(tasks)
        taskCount = tasks.count
        guard let last = end.indices.max(by: { (end[$0], $0) < (end[$1], $1) }) else { return }
        cyclesPerToken = max(end[last], 0)
        tokensPerS = cyclesPerToken > 0 ? plan.target.clockMhz * 1e6 / Double(cyclesPerToken) : 0
        for (i, task) in tasks.enumerated() {
            cyclesByKind[task.kind, default: 0] += end[i] - start[i]
            if built.decoderUnits.contains(task.unit), task.kind != "handoff", task.kind != "wafer-link" { decoderLayerCycles += end[i] - start[i] }
        }
        decoderLayers = built.decoderUnits.count
        overlappedCycles = built.hiddenByUnit.values.reduce(0, +)
        parallelCycles = max(0, cyclesByKind.values.reduce(0, +) - overlappedCycles - cyclesPerToken)
        decoderLayerCycles -= built.hiddenByUnit.filter { built.decoderUnits.contains($0.key) }.values.reduce(0, +)
        var path: [Task] = []
        var i = last
        while i >= 0 && path.count < tasks.count {
            path.append(Task(unit: tasks[i].unit, label: tasks[i].label, kind: tasks[i].kind, start: start[i], end: end[i]))
            i = cause[i]
        }
        criticalPath = path.reversed()
    }

    /// A finished task in the event queue: its end time and index. Ordered by time, then by
    /// index: a total order, so ends are processed in the same sequence on every run.
    struct Event: Comparable {
        var time: Int
        var task: Int
        static func < (a: Event, b: Event) -> Bool { a.time < b.time || (a.time == b.time && a.task < b.task) }
    }

    /// The event loop: a task starts when its dependencies have finished (less its lead: a
    /// reduction streaming under the product before it) and its resource is free (ready tasks
    /// claim resources in task order); ends are processed in time order (an end earlier than the
    /// last one processed, from a lead, is processed next).
    /// Returns each task's start, end and the task that released it last (-1 for none).
    /// O(tasks log tasks + dependencies).
    static func run(_ tasks: [TimingTasks.Pending]) -> (start: [Int], end: [Int], cause: [Int]) {
        var start = [Int](repeating: -1, count: tasks.count), end = [Int](repeating: -1, count: tasks.count)
        var cause = [Int](repeating: -1, count: tasks.count)
        var free: [String: (at: Int, by: Int)] = [:]
        var remaining = tasks.map { $0.deps.count }
        var dependents = [[Int]](repeating: [], count: tasks.count)
        for (i, task) in tasks.enumerated() { for d in task.deps { dependents[d].append(i) } }
        var ready = tasks.indices.filter { remaining[$0] == 0 }
        var events = Heap<Event>()
        var readyAt = [Int](repeating: 0, count: tasks.count), readyBy = [Int](repeating: -1, count: tasks.count)
        while !ready.isEmpty || !events.isEmpty {
            for i in ready.sorted() {
                var s = readyAt[i], by = readyBy[i]
                for r in [tasks[i].resource, tasks[i].receiving].compactMap({ $0 }) {
                    if let f = free[r], f.at > s { s = f.at; by = f.by }
                }
                start[i] = s; end[i] = s + tasks[i].duration; cause[i] = by
                for r in [tasks[i].resource, tasks[i].receiving].compactMap({ $0 }) { free[r] = (end[i], i) }
                events.insert(Event(time: end[i], task: i))
            }
            ready = []
            guard let event = events.popMin() else { break }
            let (time, i) = (event.time, event.task)
            for j in dependents[i] {
                remaining[j] -= 1
                let at = max(time - tasks[j].lead, 0)
                if at >= readyAt[j] { readyAt[j] = at; readyBy[j] = i }
                if remaining[j] == 0 { ready.append(j) }
            }
        }
        return (start, end, cause)
    }
}
