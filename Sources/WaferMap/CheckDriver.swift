import Foundation
import WaferBackend
import WaferExec
import WaferPlan
import WaferReport
import WaferSupport
import WaferTarget

/// What `wafermap check PLAN` runs.
public struct CheckRequest: Sendable {
    public var planPath: String
    /// A defect map of the wafers as they are now: PEs and links it lists that the plan does
    /// not know are treated as faults.
    public var defectsPath: String?
    /// `W:X,Y` PEs to kill.
    public var killPEs: [String] = []
    public var faultRate: Double?
    public var options = Executor.Options()
    public init(planPath: String) { self.planPath = planPath }
}

extension Driver {
    /// Reads the plan, gathers the faults, runs the executor. Errors: an unreadable plan or
    /// defect map, a malformed `--kill-pe`.
    public static func check(_ request: CheckRequest) throws(DiagnosticError) -> CheckResult {
        let clock = ContinuousClock()
        let start = clock.now
        let plan = try PlanIO.read(path: request.planPath)
        var options = request.options
        let t = plan.target
        for spec in request.killPEs {
            let parts = spec.split(separator: ":")
            let xy = parts.count == 2 ? parts[1].split(separator: ",") : []
            guard parts.count == 2, xy.count == 2, let w = Int(parts[0]), let x = Int(xy[0]), let y = Int(xy[1]) else {
                throw .error(DriverFailure.flagValue, "--kill-pe '\(spec)': expected WAFER:X,Y (e.g. 0:120,45)", at: nil)
            }
            guard x >= 0, y >= 0, x < t.fabricWidth, y < t.fabricHeight else {
                throw .error(DriverFailure.flagValue, "--kill-pe '\(spec)': (\(x), \(y)) is off the \(t.fabricWidth) x \(t.fabricHeight) fabric of \(t.name)", at: nil)
            }
            guard plan.wafers.contains(where: { $0.index == w }) else {
                throw .error(DriverFailure.flagValue, "--kill-pe '\(spec)': the plan has wafers 0..<\(plan.wafers.count)", at: nil)
            }
            options.faults[w, default: []].append(Int32(y * t.fabricWidth + x))
        }
        if let rate = request.faultRate {
            guard rate >= 0, rate <= 1 else { throw .error(DriverFailure.flagValue, "--fault-rate \(rate): expected a probability between 0 and 1", at: nil) }
            for (w, list) in Executor.faults(rate: rate, seed: options.seed, plan: plan) { options.faults[w, default: []] += list }
        }
        if let path = request.defectsPath {
            let target = try PlanPins.target(plan, path: request.planPath)
            let map = try DefectMapIO.load(path: path, target: target)
            for w in plan.wafers {
                guard w.index < map.wafers.count else {
                    throw .error(DriverFailure.waferCount, "the map lists \(Units.count(map.wafers.count, "wafer")), the plan uses \(plan.wafers.count)", at: .startOf(path))
                }
                let d = map.wafers[w.index]
                let knownPEs = Set(w.deadPes), knownLinks = Set(w.deadLinks)
                options.faults[w.index, default: []] += d.deadPEs.filter { !knownPEs.contains($0) }
                options.faultLinks[w.index, default: []] += d.deadLinks.filter { !knownLinks.contains($0) }
            }
        }
        for key in options.faults.keys { options.faults[key] = Array(Set(options.faults[key] ?? [])).sorted() }
        let report = Executor.run(plan, options: options)
        return CheckResult(plan: plan, report: report, seconds: (clock.now - start).seconds)
    }
}
