import WaferPerf

extension CountReport {
    /// This report with each precision's speculative estimate from `drafts` (the draft compiled
    /// per precision in the same order); unchanged when `drafts` is nil. O(results x k x (phases
    /// + units x ops)).
    public func adding(_ drafts: SpeculativeDrafts?) -> CountReport {
        guard let drafts else { return self }
        var report = self
        for (i, r) in results.enumerated() {
            guard let plain = PerformanceEstimate(graph: r.graph, target: target, promptTokens: deployment.promptTokens) else { continue }
            report.results[i].speculative = drafts.estimate(plain: plain, graph: r.graph, target: target, index: i)
        }
        return report
    }
}
