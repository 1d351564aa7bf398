import Foundation
import WaferPlan
import WaferSupport

/// The embedded executor: an independent second implementation that runs a plan on simulated
/// wafers and says whether it is valid, whether it computes the right answer, and how long a
/// token takes (docs/executor.md). It reads only the plan (module WaferPlan) and never the
/// compiler's passes or IR; a test checks the package graph for this.
public enum Executor {
    /// What to run. Every knob:
    public struct Options: Sendable {
        /// Run the numeric check (full for models up to `fullNumericLimit` parameters, else
        /// sampled unless `sample` is set).
        public var numeric = false
        /// Sampled numeric check on this many decoder units instead of the full run.
        public var sample: Int?
        /// Decode steps of the full numeric check.
        public var steps = 4
        /// Run the event-driven timing simulation.
        public var timing = false
        /// Extra dead PEs per wafer (fault injection, or a newer defect map), and dead links.
        public var faults: [Int: [Int32]] = [:]
        public var faultLinks: [Int: [Int32]] = [:]
        /// Seed of the synthetic weights, the token sequence and the sampling.
        public var seed: UInt64 = 1
        /// Parameters up to which `numeric` runs the whole model (tiny models; above, sampled).
        public var fullNumericLimit = 50_000_000
        /// Units the sampled check takes above that limit when `sample` is not set.
        public var largeModelSample = 4
        /// Replay only these wafers' exception routes, lines, lanes, colors and spare
        /// substitutions, and sample the numeric check from their units; nil: every wafer. The
        /// plan-wide checks (each tensor placed once, tile bytes, SRAM per group, the schedule)
        /// always run. `wafermap repair` checks the wafers it changed this way.
        public var wafers: Set<Int>?
        public init() {}
    }

    public struct Report: Sendable {
        public var violations: ViolationLog
        public var linesExpanded: Int
        public var exceptionHops: Int
        public var maxColorsPerPe: Int
        public var injectedFaults: Int
        public var numeric: NumericCheck.Result?
        public var timing: TimingSimulation?
        /// The steps in the order they ran, with the process's peak resident bytes when each
        /// ended (a high-water mark): fabric, routes, placement, schedule, numeric, timing.
        public var stages: [Stage] = []
        /// Wall seconds per step name.
        public var seconds: [String: Double] { Dictionary(stages.map { ($0.name, $0.seconds) }, uniquingKeysWith: +) }
        public var passed: Bool { violations.isEmpty && (numeric?.passed ?? true) }
    }

    /// One timed step of a run.
    public struct Stage: Sendable {
        public var name: String
        public var seconds: Double
        public var peakResidentBytes: Int
    }

    /// Runs the structural check, then what `options` asks for. O(PEs the classes span + touched
    /// lines + exception hops) for the structure; see NumericCheck and TimingSimulation.
    public static func run(_ plan: Plan, options: Options = Options()) -> Report {
        var log = ViolationLog()
        var stages: [Stage] = []
        func timed<T>(_ name: String, _ body: () -> T) -> T {
            let t0 = Date()
            let r = body()
            stages.append(Stage(name: name, seconds: Date().timeIntervalSince(t0), peakResidentBytes: ProcessMemory.peakResidentBytes()))
            return r
        }
        let t = plan.target
        guard t.fabricWidth > 0, t.fabricHeight > 0, t.fabricWidth <= 1 << 15, t.fabricHeight <= 1 << 15, plan.routing.colorBudget <= 64 else {
            log.add(.plan, "target: a \(t.fabricWidth) x \(t.fabricHeight) fabric with \(plan.routing.colorBudget) colors is not one the executor can simulate")
            return Report(violations: log, linesExpanded: 0, exceptionHops: 0, maxColorsPerPe: 0, injectedFaults: 0, numeric: nil, timing: nil)
        }
        if plan.routing.colorBudget != t.routableColors - t.reservedColors {
            log.add(.plan, "routing: a budget of \(plan.routing.colorBudget) colors, the target allows \(t.routableColors - t.reservedColors)")
        }
        TableCheck.run(plan, log: &log)
        var injected = 0
        let fabrics: [WaferFabric] = timed("fabric") {
            plan.wafers.map { w in
                var wafer = w
                let extraLinks = options.faultLinks[w.index] ?? []
                wafer.deadLinks = Array(Set(w.deadLinks + extraLinks)).sorted()
                let extra = (options.faults[w.index] ?? []).filter { !w.deadPes.contains($0) }
                injected += extra.count
                return WaferFabric(plan: plan, wafer: wafer, faults: extra)
            }
        }
        for (w, list) in options.faults.sorted(by: { $0.key < $1.key }) where !plan.wafers.contains(where: { $0.index == w }) && !list.isEmpty {
            log.add(.fault, "a fault names wafer \(w), which the plan does not use")
        }
        let scope = options.wafers
        let replay = timed("routes") { RouteReplay(plan: plan, fabrics: fabrics, scope: scope) }
        log.merge(replay.log)
        let shapesAgree = timed("placement") { PlacementCheck.run(plan, fabrics: fabrics, scope: scope, log: &log) }
        timed("schedule") { ScheduleCheck.run(plan, log: &log) }
        var numeric: NumericCheck.Result?
        if options.numeric && !shapesAgree {
            // The reference model is built from the ops' sizes; tensors of other shapes (or
            // none) leave nothing to compare, and a hostile plan's sizes could ask for any work.
            log.add(.numeric, "numeric check not run: the plan's tensors do not match the shapes their ops need (see the placement findings)")
        } else if options.numeric {
            let parameters = Self.parameters(plan)
            numeric = timed("numeric") {
                if let k = options.sample ?? (parameters > options.fullNumericLimit || scope != nil ? options.largeModelSample : nil) {
                    return NumericCheck.sampled(plan, fabrics: fabrics, replay: replay, seed: options.seed, k: k, scope: scope, log: &log)
                }
                return NumericCheck.full(plan, fabrics: fabrics, replay: replay, seed: options.seed, steps: options.steps, log: &log)
            }
        }
        let timing = options.timing ? timed("timing") { TimingSimulation(plan: plan) } : nil
        return Report(violations: log, linesExpanded: replay.linesExpanded, exceptionHops: replay.exceptionHops, maxColorsPerPe: replay.maxColorsPerPe,
                      injectedFaults: injected, numeric: numeric, timing: timing, stages: stages)
    }

    /// Weight values the plan's tensors hold (what `fullNumericLimit` is compared with). O(tensors).
    /// Saturates at `Int.max` (a hostile plan's shapes cannot overflow it).
    public static func parameters(_ plan: Plan) -> Int {
        var total = 0
        for u in plan.units {
            for t in u.tensors {
                var elements = 1
                for d in t.shape {
                    let (product, overflow) = elements.multipliedReportingOverflow(by: max(d, 0))
                    elements = overflow ? Int.max : product
                }
                let (sum, overflow) = total.addingReportingOverflow(elements)
                total = overflow ? Int.max : sum
            }
        }
        return total
    }

    /// PEs a uniform fault rate kills, per wafer: each PE independently with probability
    /// `rate`, drawn from a hash of (seed, wafer, PE) so the set is reproducible. O(PEs).
    public static func faults(rate: Double, seed: UInt64, plan: Plan) -> [Int: [Int32]] {
        guard rate > 0 else { return [:] }
        let n = plan.target.fabricWidth * plan.target.fabricHeight
        let threshold = UInt64(min(max(rate, 0), 1) * Double(UInt64.max >> 11))
        var out: [Int: [Int32]] = [:]
        for w in plan.wafers {
            let base = WeightSource.mix(seed ^ (UInt64(w.index) &* 0x9e37_79b9))
            for pe in 0..<n where WeightSource.mix(base ^ UInt64(pe)) >> 11 < threshold { out[w.index, default: []].append(Int32(pe)) }
        }
        return out
    }
}
