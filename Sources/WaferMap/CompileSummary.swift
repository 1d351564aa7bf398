import WaferReport
import Foundation
import WaferExec
import WaferPlan
import WaferSupport

/// The lines `compile` prints: what a person reads in ten seconds.
public enum CompileSummary {
    public static func render(_ r: CompileResult, reportPath: String?) -> String {
        let p = r.plan, s = p.summary
        func share(_ a: Int, _ b: Int) -> String { b > 0 ? Units.fixed(Double(a) / Double(b) * 100, digits: 1) + "%" : "-" }
        var out = "compiled    \(p.inputs.modelName) (\(p.inputs.modelPath)) for \(p.target.name) in \(Units.fixed(r.totalSeconds, digits: 1)) s\n"
        out += "deployment  context \(Units.grouped(p.inputs.contextTokens)) tokens x batch \(p.inputs.batch); defects: \(p.inputs.defects); seed \(p.inputs.seed)\n"
        if let line = r.report.repairLine(wafers: p.wafers.map(\.index)) { out += line }
        let changed = PassOptionReport.changedAssignments(r.report.context.options)
        if !changed.isEmpty { out += "options     \(changed.joined(separator: " ")) (the other knobs at their defaults)\n" }
        out += "wafers      \(s.wafers) (lower bound \(s.wafersLowerBound)); weights \(Units.gigabytes(s.weightBytes)), KV cache \(Units.gigabytes(s.kvCacheBytes))\n"
        out += "PEs         \(Units.grouped(s.pesUsed)) of \(Units.grouped(s.pesUsable)) usable (\(share(s.pesUsed, s.pesUsable))); SRAM \(Units.gigabytes(s.sramUsedBytes)) of \(Units.gigabytes(s.sramUsableBytes)) usable (\(share(s.sramUsedBytes, s.sramUsableBytes)))\n"
        let range = r.quality?.performance.map { ", range \(Units.fixed($0.tokensPerSLow, digits: 0))-\(Units.fixed($0.tokensPerSHigh, digits: 0))" } ?? ""
        out += "decode      \(Units.fixed(s.tokensPerS, digits: 1)) tokens/s per user at batch \(p.inputs.batch)\(range) (predicted: \(Units.grouped(s.cyclesPerToken)) cycles at \(Units.fixed(p.schedule.clockMhz, digits: 0)) MHz per token)\n"
        if let performance = r.quality?.performance { out += performance.summary() }
        out += "routing     max \(s.maxColorsPerPe) of \(p.routing.colorBudget) colors per PE; \(Units.grouped(s.exceptionRoutes)) defect exception routes, \(Units.grouped(s.overlayRoutes)) over overlays, \(Units.grouped(s.unresolvedRoutes)) unresolved\n"
        out += r.report.results.first?.speculative?.summary() ?? ""
        if r.written {
            out += "plan        \(r.planPath) (\(Units.bytes(r.planBytes)), format \(p.formatVersion)): checked, consistent\n"
        } else {
            let why = r.problems.isEmpty ? "the executor rejects it" : "CHECK FAILED (\(r.problems.count) problem\(r.problems.count == 1 ? "" : "s"))"
            out += "plan        NOT WRITTEN to \(r.planPath) (\(Units.bytes(r.planBytes)), format \(p.formatVersion)): \(why)\n"
        }
        let e = r.execution
        var verdict = e.violations.isEmpty ? "valid" : "INVALID (\(Violation.Category.allCases.compactMap { c in e.violations.counts[c].map { "\($0) \(c.rawValue)" } }.joined(separator: ", ")))"
        if let n = e.numeric { verdict += "; numeric \(n.mode): \(n.passed ? "agrees" : "DISAGREES") (max relative error \(String(format: "%.2g", n.relativeError)))" }
        if let t = e.timing {
            verdict += "; simulated \(Units.fixed(t.tokensPerS, digits: 1)) tokens/s (\(String(format: "%.3f", p.schedule.tokensPerS > 0 ? t.tokensPerS / p.schedule.tokensPerS : 0)) x predicted)"
        }
        out += "executor    \(verdict)\n"
        if let t = e.timing, let warning = TimingAgreement.warning(simulated: t.tokensPerS, predicted: p.schedule.tokensPerS) { out += warning + "\n" }
        if let reportPath, r.written { out += "report      \(reportPath)\n" }
        if !r.pictures.isEmpty {
            // The wafer pictures (`wafer-NN.svg`) by name; the rest named as they are.
            let names = r.pictures.map { ($0 as NSString).lastPathComponent }
            let wafers = names.filter { $0.hasPrefix("wafer-") }.count, others = names.filter { !$0.hasPrefix("wafer-") }
            let parts = [Units.count(wafers, "wafer")] + others
            let list = parts.count > 1 ? parts.dropLast().joined(separator: ", ") + " and " + parts[parts.count - 1] : parts[0]
            out += "pictures    \(r.pictures.count) SVG files in \((r.pictures[0] as NSString).deletingLastPathComponent) (\(list))\n"
        }
        return out
    }
}
