import Foundation
import WaferExec
import WaferPlan
import WaferSupport

/// What `wafermap check PLAN` found: the plan read, the executor's report, and the wall time.
public struct CheckResult: Sendable {
    public var plan: Plan
    public var report: Executor.Report
    public var seconds: Double
    public init(plan: Plan, report: Executor.Report, seconds: Double) {
        self.plan = plan; self.report = report; self.seconds = seconds
    }
}

/// `wafermap check` output: text for people, JSON (`--format json`, keys sorted) for tools.
public enum CheckRendering {
    public static func text(_ r: CheckResult, path: String) -> String {
        let p = r.plan, e = r.report
        var out = "plan        \(path): \(p.inputs.modelName) on \(p.wafers.count) x \(p.target.name) (format \(p.formatVersion), wafermap \(p.compilerVersion))\n"
        if e.injectedFaults > 0 { out += "faults      \(Units.grouped(e.injectedFaults)) PEs killed on the simulated wafers\n" }
        let counts = Violation.Category.allCases.compactMap { c in e.violations.counts[c].map { "\($0) \(c.rawValue)" } }
        out += "structure   \(Units.grouped(p.units.count)) units, \(Units.grouped(p.routing.classes.count)) line classes (\(Units.grouped(e.linesExpanded)) lines with defects replayed), \(Units.grouped(p.routing.bundles.count)) bundles, \(Units.grouped(p.routing.exceptions.count)) exception routes (\(Units.grouped(e.exceptionHops)) hops); max \(e.maxColorsPerPe) of \(p.routing.colorBudget) colors per PE: \(counts.isEmpty ? "valid" : "INVALID (\(counts.joined(separator: ", ")))")\n"
        if let n = e.numeric {
            out += "numeric     \(n.mode)\(n.steps > 0 ? ", \(n.steps) decode steps" : ""): \(Units.grouped(n.comparedValues)) values, max |difference| \(String(format: "%.3g", n.maxAbsDifference)) = \(String(format: "%.3g", n.relativeError)) of the largest (tolerance \(n.tolerance)): \(n.passed ? "agrees" : "DISAGREES")\n"
        }
        if let t = e.timing {
            let ratio = TimingAgreement.ratio(simulated: t.tokensPerS, predicted: p.schedule.tokensPerS)
            out += "timing      simulated \(Units.fixed(t.tokensPerS, digits: 1)) tokens/s per user (\(Units.grouped(t.cyclesPerToken)) cycles per token, \(Units.grouped(t.taskCount)) tasks); compiler predicted \(Units.fixed(p.schedule.tokensPerS, digits: 1)) (\(Units.grouped(p.schedule.cyclesPerToken)) cycles); simulated / predicted = \(String(format: "%.3f", ratio))\n"
            let byKind = t.cyclesByKind.sorted { $0.key < $1.key }.map { "\($0.key) \(Units.grouped($0.value))" }.joined(separator: ", ")
            // What ran beside other work (docs/routing-and-schedule.md): the kinds minus these are the cycles per token.
            let beside = [("overlapped", t.overlappedCycles), ("parallel", t.parallelCycles)].filter { $0.1 > 0 }.map { "\($0.0) -\(Units.grouped($0.1))" }
            out += "            busy cycles by kind: \(byKind)\(beside.isEmpty ? "" : "; " + beside.joined(separator: ", "))\n"
            let path = t.criticalPath
            let shown = path.count > 8 ? Array(path.prefix(4)) + Array(path.suffix(4)) : path
            out += "            critical path: \(path.count) tasks: " + shown.map { "\($0.label) [\(Units.grouped($0.start))..\(Units.grouped($0.end)))" }.joined(separator: " -> ") + (path.count > 8 ? " (middle elided)" : "") + "\n"
            if let warning = TimingAgreement.warning(simulated: t.tokensPerS, predicted: p.schedule.tokensPerS) { out += warning + "\n" }
        }
        out += "result      \(e.passed ? "PASS" : "FAIL") in \(String(format: "%.2f", r.seconds)) s\n"
        for v in e.violations.items { out += "  \(v.category.rawValue): \(v.message)\n" }
        let hidden = e.violations.total - e.violations.items.count
        if hidden > 0 { out += "  ... and \(Units.grouped(hidden)) more\n" }
        return out
    }

    struct JSONReport: Encodable {
        var plan: String
        var model: String
        var wafers: Int
        var passed: Bool
        var violationCounts: [String: Int]
        var violations: [Violation]
        var injectedFaults: Int
        var linesReplayed: Int
        var exceptionHops: Int
        var maxColorsPerPe: Int
        var numeric: NumericCheck.Result?
        var timing: Timing?
        var wallSeconds: Double
        struct Timing: Encodable {
            var simulatedTokensPerS: Double
            var simulatedCyclesPerToken: Int
            var predictedTokensPerS: Double
            var predictedCyclesPerToken: Int
            var simulatedOverPredicted: Double
            /// `TimingAgreement.warning`: nil when the two agree within 10%.
            var disagreement: String?
            var cyclesByKind: [String: Int]
            /// Cycles hidden under products and run beside the critical chain: `cyclesByKind`
            /// minus both is `simulatedCyclesPerToken`.
            var overlappedCycles: Int
            var parallelCycles: Int
            var criticalPath: [TimingSimulation.Task]
        }
    }

    public static func json(_ r: CheckResult, path: String) -> String {
        let e = r.report
        let timing = e.timing.map { t in
            JSONReport.Timing(simulatedTokensPerS: t.tokensPerS, simulatedCyclesPerToken: t.cyclesPerToken, predictedTokensPerS: r.plan.schedule.tokensPerS,
                              predictedCyclesPerToken: r.plan.schedule.cyclesPerToken,
                              simulatedOverPredicted: TimingAgreement.ratio(simulated: t.tokensPerS, predicted: r.plan.schedule.tokensPerS),
                              disagreement: TimingAgreement.warning(simulated: t.tokensPerS, predicted: r.plan.schedule.tokensPerS),
                              cyclesByKind: t.cyclesByKind, overlappedCycles: t.overlappedCycles, parallelCycles: t.parallelCycles,
                              criticalPath: t.criticalPath)
        }
        let report = JSONReport(plan: path, model: r.plan.inputs.modelName, wafers: r.plan.wafers.count, passed: e.passed,
                                violationCounts: Dictionary(uniqueKeysWithValues: e.violations.counts.map { ($0.key.rawValue, $0.value) }),
                                violations: e.violations.items, injectedFaults: e.injectedFaults, linesReplayed: e.linesExpanded,
                                exceptionHops: e.exceptionHops, maxColorsPerPe: e.maxColorsPerPe, numeric: e.numeric, timing: timing,
                                wallSeconds: r.seconds)
        return JSONOutput.render(report)
    }
}
