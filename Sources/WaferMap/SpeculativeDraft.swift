import WaferFrontend
import WaferPerf
import WaferReport
import WaferSupport

extension Driver {
    /// The draft of `speculative` (`DraftModels.choose`) compiled through `schedule` with
    /// `count`'s target, precisions, pass options and deployment (wafers `auto`, no slot, no
    /// defects: its wafers are its own): one draft per precision, and the k and a to use.
    /// O(one compile of the draft per precision).
    static func compileDraft(_ speculative: SpeculativeRequest, count: CountRequest) throws(DiagnosticError)
        -> (drafts: [SpeculativeDraft], draftTokens: Int, acceptanceRate: Double) {
        if count.lastPass != "schedule" { throw .error(DriverFailure.flagConflict, "--speculative needs the decode estimate: use it with count --perf, compile or sweep", at: nil) }
        let source = try DraftModels.choose(speculative.draft, targetPath: count.modelPath)
        let kind = DraftKind(rawValue: source.kind.rawValue) ?? .model
        var request = CountRequest(modelPath: count.modelPath)
        (request.target, request.precisions, request.passOptions, request.deployment) = (count.target, count.precisions, count.passOptions, count.deployment)
        (request.deployment.wafers, request.deployment.slot) = (.auto, nil)
        request.model = try ModelLoader.build(source.spec)
        let report: CountReport
        do { report = try Driver.count(request) } catch {
            var e = error
            if !e.diagnostics.isEmpty { e.diagnostics[0].notes.append(.note("while compiling the draft \(source.spec.name) for --speculative")) }
            throw e
        }
        let drafts = report.results.compactMap { SpeculativeDraft(graph: $0.graph, kind: kind, reason: source.reason, sharesEmbedding: source.sharesEmbedding) }
        return (drafts, speculative.draftTokens ?? kind.defaultDraftTokens, speculative.acceptanceRate ?? kind.defaultAcceptance)
    }

    /// Each result's speculative estimate from its plain one and the draft of the same precision.
    static func addSpeculative(_ report: inout CountReport, draft: (drafts: [SpeculativeDraft], draftTokens: Int, acceptanceRate: Double)) {
        for (i, d) in zip(report.results.indices, draft.drafts) {
            let r = report.results[i]
            guard let plain = PerformanceEstimate(graph: r.graph, target: report.target, promptTokens: report.deployment.promptTokens) else { continue }
            report.results[i].speculative = SpeculativeEstimate(plain: plain, graph: r.graph, target: report.target, draft: d,
                                                                draftTokens: draft.draftTokens, acceptanceRate: draft.acceptanceRate)
        }
    }
}
