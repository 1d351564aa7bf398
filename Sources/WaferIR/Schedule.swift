/// Where a phase spends its cycles.
public enum PhaseKind: String, Hashable, Sendable, CaseIterable {
    /// Multiply-accumulates on the PEs (weights and attention over the cache).
    case compute
    /// Transfers over the on-wafer mesh (allreduces, hand-offs, fan-outs).
    case fabric
    /// Transfers between wafers over the system links.
    case link
    /// Norms, activations, softmax exponentials, residual adds and synchronisation.
    case elementwise
}

/// One step of a decode step, with its start and end cycle.
public struct Phase: Hashable, Sendable {
    /// Index into `Layout.units`.
    public var unit: Int
    public var kind: PhaseKind
    public var label: String
    public var flow: Int?
    public var start: Int
    public var end: Int
    public init(unit: Int, kind: PhaseKind, label: String, flow: Int?, start: Int, end: Int) {
        self.unit = unit; self.kind = kind; self.label = label; self.flow = flow; self.start = start; self.end = end
    }
    public var cycles: Int { end - start }
}

/// The timed decode step (the schedule pass's result). At batch 1 a token visits the units one
/// after another, so the phases form one chain, with two exceptions: a reduction overlapping its
/// product starts before the phase before it ends (docs/routing-and-schedule.md, "Overlap"), and
/// a layer's remote expert slices run beside the layer's local experts, from its router
/// allreduce to the join before its elementwise work ("Remote experts in parallel"). Phases are
/// listed chain by chain (a layer's local phases, its slices', then its elementwise work). The
/// report names the unit and the phase that weigh most.
public struct Schedule: Hashable, Sendable {
    public var phases: [Phase]
    public var cyclesPerToken: Int
    public var clockMHz: Double
    /// Cycles per phase kind, summed over the step.
    public var cyclesByKind: [PhaseKind: Int]
    /// The unit with the most cycles, and the longest single phase.
    public var slowestUnit: Int
    public var longestPhase: Int
    /// The target constants the times come from, as `name = value (source)` lines.
    public var constants: [String]
    /// Per phase, the cycles it runs under the phase before it in its own unit's chain
    /// (`max(0, previous end - start)` when the previous phase is the same unit's; all 0 when
    /// strictly phased), and their sum: the reductions streaming under their products.
    public var hiddenCycles: [Int]
    public var overlappedCycles: Int
    /// Cycles of phases that run beside other chains (remote expert slices beside their layer's
    /// local experts), not already counted in `overlappedCycles`: the kinds' sum minus
    /// `overlappedCycles` minus `parallelCycles` is `cyclesPerToken`.
    public var parallelCycles: Int

    /// Cycles per token is the makespan, the latest end of any phase. `parallelCycles` is what
    /// the phases' cycles less the streamed ones exceed the time they cover (their union, which
    /// starts at 0 and has no gap: each starts at 0 or when another ends). O(phases log phases).
    public init(phases: [Phase], clockMHz: Double, constants: [String]) {
        self.phases = phases
        self.clockMHz = clockMHz
        self.constants = constants
        cyclesPerToken = max(phases.map(\.end).max() ?? 0, 0)
        var byKind: [PhaseKind: Int] = [:]
        var perUnit: [Int: Int] = [:]
        var longest = 0, total = 0
        var hidden = [Int](repeating: 0, count: phases.count)
        for (index, phase) in phases.enumerated() {
            byKind[phase.kind, default: 0] += phase.cycles
            total += phase.cycles
            if index > 0, phases[index - 1].unit == phase.unit { hidden[index] = max(0, phases[index - 1].end - phase.start) }
            perUnit[phase.unit, default: 0] += phase.cycles - hidden[index]
            if phase.cycles > phases[longest].cycles { longest = index }
        }
        var covered = 0, reach = Int.min
        for phase in phases.sorted(by: { ($0.start, $0.end) < ($1.start, $1.end) }) where phase.end > max(phase.start, reach) {
            covered += phase.end - max(phase.start, reach)
            reach = phase.end
        }
        hiddenCycles = hidden
        overlappedCycles = hidden.reduce(0, +)
        parallelCycles = max(0, total - overlappedCycles - covered)
        cyclesByKind = byKind
        slowestUnit = perUnit.max { $0.value < $1.value || ($0.value == $1.value && $0.key > $1.key) }?.key ?? 0
        longestPhase = longest
    }

    /// Seconds per token and tokens per second for one user at batch 1.
    public var secondsPerToken: Double { Double(cyclesPerToken) / (clockMHz * 1e6) }
    public var tokensPerSecond: Double { cyclesPerToken > 0 ? 1 / secondsPerToken : 0 }

    /// Cycles of unit `unit` (its phases, less the cycles they stream under the phase before them
    /// in the unit): its busy time, whatever runs beside it.
    /// O(phases).
    public func cycles(ofUnit unit: Int) -> Int {
        phases.indices.filter { phases[$0].unit == unit }.reduce(0) { $0 + phases[$1].cycles - hiddenCycles[$1] }
    }
}
