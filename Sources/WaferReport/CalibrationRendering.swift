import WaferPerf
import WaferSupport

extension CalibrationReport {
    static func percent(_ e: Double) -> String { (e >= 0 ? "+" : "") + Units.fixed(e * 100, digits: 1) + "%" }

    /// The calibration table, the fit (when asked) and the own-mapping table.
    public func text() -> String {
        var out = "calibration \(source)\n"
        out += "target      \(target); context \(Units.grouped(contextTokens)) tokens; batch 1; the published mapping pinned with --slot P\n"
        out += "            tokens/s of the decoder layers alone, as the paper reports them (layer time x layers)\n\n"
        var t = TextTable([("model", .left), ("layers", .right), ("P", .right), ("measured", .right), ("analytic", .right), ("error", .right),
                           ("simulated", .right), ("error", .right), ("whole model", .right), ("wafers", .right)])
        for p in points {
            t.add([p.model, "\(p.layers)", "\(p.region)", Units.fixed(p.measuredTokensPerS, digits: 1), Units.fixed(p.analyticTokensPerS, digits: 1),
                   Self.percent(p.analyticError), Units.fixed(p.simulatedTokensPerS, digits: 1), Self.percent(p.simulatedError),
                   Units.fixed(p.wholeModelTokensPerS, digits: 1), "\(p.wafers)"])
        }
        out += t.render(indent: "")
        out += "\nmax error   analytic \(Units.fixed(maxAnalyticError * 100, digits: 1))%, simulated \(Units.fixed(maxSimulatedError * 100, digits: 1))% (goal: within 10% on every point)\n"
        out += "            'whole model' adds what the paper leaves out: region hand-offs, wafer-to-wafer links, embedding and LM head\n"
        out += "constants:\n" + constants.map { "  \($0)\n" }.joined()
        if let fit {
            out += "\nfit         least squares on relative error over \(points.count) points, hop 1 and ramp 2 cycles held fixed:\n"
            out += "            pe.macs_per_cycle.fp16 = \(Units.fixed(fit.macsPerCycle, digits: 2)), latency.relay_cycles = \(fit.relayCycles), latency.layer_overhead_cycles = \(fit.layerOverheadCycles)\n"
            out += "            errors with these: \(fit.errors.map(Self.percent).joined(separator: " ")); max \(Units.fixed(fit.maxAbsError * 100, digits: 1))% (in sample: the same points fitted and predicted)\n"
        }
        if let profile = profileFit {
            out += "\nas a kernel profile (\(kernelProfile ?? "-") on \(target): efficiency = fitted MACs per cycle / the hardware bound \(Units.fixed(profile.boundMacsPerCycle, digits: 2)); "
            out += "each range is the constant's spread over the leave-one-model-out fits):\n"
            out += profile.yamlLines.map { "  \($0)\n" }.joined()
        }
        if let heldOut { out += Self.heldOutText(heldOut) }
        if !own.isEmpty {
            out += "\nthe compiler's own mapping (whole model, hand-offs, links, embedding and LM head included) against the best published figure:\n\n"
            var o = TextTable([("model", .left), ("published best", .right), ("at P", .right), ("WaferMap", .right), ("simulated", .right),
                               ("ratio", .right), ("layers alone", .right), ("transfers", .right), ("wafers", .right), ("slots", .left)])
            for r in own {
                o.add([r.model, Units.fixed(r.publishedBestTokensPerS, digits: 1), "\(r.publishedBestRegion)", Units.fixed(r.predictedTokensPerS, digits: 1),
                       Units.fixed(r.simulatedTokensPerS, digits: 1), Units.fixed(r.ratioToPublished, digits: 2) + "x",
                       Units.fixed(r.layersAloneTokensPerS, digits: 1), Units.fixed(r.handoffAndLinkShare * 100, digits: 1) + "%", "\(r.wafers)", r.slots])
            }
            out += o.render(indent: "")
        }
        return out
    }

    /// The leave-one-model-out table: each fold's constants and every point's held-out error.
    static func heldOutText(_ h: CalibrationHoldOut) -> String {
        var out = "\nheld out    leave one model out: each model's points predicted by constants fitted to the other models' points only\n\n"
        var t = TextTable([("held-out model", .left), ("P", .right), ("measured", .right), ("held-out prediction", .right), ("error", .right),
                           ("fitted to", .right), ("macs/cycle", .right), ("relay", .right), ("overhead", .right)])
        for p in h.points {
            guard let f = h.folds.first(where: { $0.heldOutModel == p.model }) else { continue }
            t.add([p.model, "\(p.region)", Units.fixed(p.measuredTokensPerS, digits: 1), Units.fixed(p.heldOutTokensPerS, digits: 1), Self.percent(p.heldOutError),
                   "\(f.fittedPoints) points", Units.fixed(f.macsPerCycle, digits: 2), "\(f.relayCycles)", "\(f.layerOverheadCycles)"])
        }
        out += t.render(indent: "")
        out += "\nheld-out max error \(Units.fixed(h.maxAbsError * 100, digits: 1))% (held_out_max_abs_error; goal: within 10%)\n"
        return out
    }

    public func json() -> String { JSONOutput.render(self) }
}
