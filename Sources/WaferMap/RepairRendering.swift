import Foundation
import WaferBackend
import WaferExec
import WaferPlan
import WaferSupport

/// `wafermap repair` output: text for people, JSON (`--format json`, keys sorted) for tools.
public enum RepairRendering {
    public static func text(_ r: RepairResult, request: RepairRequest) -> String {
        let d = r.delta, p = r.plan
        func share(_ a: Int, _ b: Int) -> String { b > 0 ? String(format: "%.3g%%", Double(a) / Double(b) * 100) : "-" }
        func list(_ xs: [Int]) -> String { xs.count > 12 ? xs.prefix(12).map(String.init).joined(separator: ", ") + ", ..." : xs.map(String.init).joined(separator: ", ") }
        var out = "repaired    \(request.planPath) -> \(r.planPath) for \(request.defectsPath) in \(Units.fixed(r.totalSeconds, digits: 2)) s\n"
        out += "defects     \(d.touchedWafers.count) of \(d.wafers) wafers touched\(d.touchedWafers.isEmpty ? "" : " (\(list(d.touchedWafers)))"): +\(Units.grouped(d.newDeadPes)) dead PEs, -\(Units.grouped(d.revivedPes)) revived, +\(Units.grouped(d.newDeadLinks)) dead links, -\(Units.grouped(d.revivedLinks)) revived; sealed PEs on them \(Units.grouped(d.sealedPesBefore)) -> \(Units.grouped(d.sealedPesAfter))\n"
        var moves = d.groupsMoved.map { "wafer \($0.wafer) group \($0.group) slot \($0.fromSlot) -> \($0.toSlot) (\($0.units.joined(separator: ", ")))" }
        moves += d.wafersRetiled.map { "wafer \($0) re-tiled on a new slot grid" }
        let groups = moves.isEmpty ? "no group changed slot" : moves.joined(separator: "; ")
        out += "moved       \(groups); \(Units.grouped(d.tilePositionsMoved)) tile positions of \(Units.grouped(d.tilePositionsTotal)) (\(share(d.tilePositionsMoved, d.tilePositionsTotal))) = \(Units.bytes(d.bytesMoved)) of \(Units.bytes(d.bytesTotal)) of weights and KV cache change PE\n"
        out += "routes      on touched wafers \(Units.grouped(d.exceptionsBefore)) -> \(Units.grouped(d.exceptionsAfter)) exception routes (\(Units.grouped(d.exceptionsKept)) unchanged, \(Units.grouped(d.exceptionsNew)) new); \(Units.count(d.classesChanged, "line class", plural: "line classes")) and \(Units.count(d.bundlesChanged, "bundle")) changed; \(Units.grouped(d.exceptionsTotal)) exception routes in all\n"
        out += "decode      \(Units.fixed(d.tokensPerSBefore, digits: 1)) -> \(Units.fixed(d.tokensPerSAfter, digits: 1)) tokens/s per user (\(Units.grouped(d.cyclesPerTokenBefore)) -> \(Units.grouped(d.cyclesPerTokenAfter)) cycles per token)\n"
        out += "plan        \(r.planPath) (\(Units.bytes(r.planBytes)), format \(p.formatVersion)): \(r.problems.isEmpty ? "checked, consistent" : "CHECK FAILED (\(r.problems.count) problems)")\n"
        let e = r.execution
        let scope = r.checkedWafers.count == p.wafers.count ? (p.wafers.count == 1 ? "the plan's only wafer" : "all \(p.wafers.count) wafers") : r.checkedWafers.isEmpty ? "no wafer changed, plan-wide checks only" : "repaired wafers \(list(r.checkedWafers))"
        var verdict = e.violations.isEmpty ? "valid" : "INVALID (\(Violation.Category.allCases.compactMap { c in e.violations.counts[c].map { "\($0) \(c.rawValue)" } }.joined(separator: ", ")))"
        verdict += " (replayed: \(scope))"
        if let n = e.numeric { verdict += "; numeric \(n.mode): \(n.passed ? "agrees" : "DISAGREES") (max relative error \(String(format: "%.2g", n.relativeError)))" }
        out += "executor    \(verdict)\n"
        let shown = r.timings.filter { $0.seconds >= 0.05 }, rest = r.timings.filter { $0.seconds < 0.05 }
        out += "time        " + (shown.map { "\($0.name) \(Units.fixed($0.seconds, digits: 2))" } + (rest.isEmpty ? [] : ["\(rest.count) other steps \(Units.fixed(rest.reduce(0) { $0 + $1.seconds }, digits: 2))"])).joined(separator: ", ") + " (seconds)\n"
        for v in e.violations.items { out += "  \(v.category.rawValue): \(v.message)\n" }
        return out
    }

    struct JSONReport: Encodable {
        var plan: String
        var defects: String
        var output: String
        var passed: Bool
        var problems: [String]
        var delta: RepairDelta
        var checkedWafers: [Int]
        var violationCounts: [String: Int]
        var violations: [Violation]
        var numeric: NumericCheck.Result?
        var stepSeconds: [String: Double]
        var wallSeconds: Double
        var planBytes: Int
    }

    public static func json(_ r: RepairResult, request: RepairRequest) -> String {
        let e = r.execution
        let report = JSONReport(plan: request.planPath, defects: request.defectsPath, output: r.planPath, passed: r.passed, problems: r.problems,
                                delta: r.delta, checkedWafers: r.checkedWafers,
                                violationCounts: Dictionary(uniqueKeysWithValues: e.violations.counts.map { ($0.key.rawValue, $0.value) }),
                                violations: e.violations.items, numeric: e.numeric,
                                stepSeconds: Dictionary(r.timings.map { ($0.name, $0.seconds) }, uniquingKeysWith: +), wallSeconds: r.totalSeconds,
                                planBytes: r.planBytes)
        return JSONOutput.render(report)
    }
}

extension RepairResult {
    /// The repaired plan is consistent and the executor accepts it.
    public var passed: Bool { problems.isEmpty && execution.passed }
}
