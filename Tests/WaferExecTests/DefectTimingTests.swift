import Foundation
import Testing
import WaferExec
import WaferMap
import WaferPlan
import WaferReport
import WaferTestSupport

/// The compiler's estimate and the executor's timing simulation on a defect small enough to
/// count by hand, and the warning both commands print when the two disagree by more than 10%
/// (docs/performance-model.md, "Estimate and simulation").
@Suite struct DefectTimingTests {
    /// Compiles tiny on small64 (context 64) with `defects` (a defect-map YAML, or none) into a
    /// temporary plan and returns the plan and the executor's simulated cycles per token.
    static func compile(defects: String?) throws -> (plan: Plan, simulated: Int) {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("wafermap-defect-timing-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        var extra: [String] = []
        if let defects {
            let map = dir.appendingPathComponent("defects.yaml").path
            try defects.write(toFile: map, atomically: true, encoding: .utf8)
            extra = ["--defects", map]
        }
        let path = dir.appendingPathComponent("tiny.plan.json").path
        let out = try CLI.run(["compile", TestPaths.example("tiny"), "--target", "small64", "--context", "64", "-o", path] + extra)
        #expect(out.status == 0, "\(out.stderr)")
        let plan = try PlanIO.read(path: path)
        var options = Executor.Options()
        options.timing = true
        let timing = try #require(Executor.run(plan, options: options).timing)
        return (plan, timing.cyclesPerToken)
    }

    /// One dead link, east of PE (10, 3): inside tiny's only slot (origin (4, 1), 19 x 8 PEs),
    /// between columns 6 and 7 of row line 2. That line is a tree of 19 PEs in 4 groups of 5
    /// (middles 2, 7, 12, 17, root 7), so the broken pair (6, 7) carries, toward 7, the group
    /// stream 6 -> 7 and the leader hop 2 -> 7, and, toward 6, the broadcast. Each direction
    /// detours over the row above (N, E, S or N, W, S): 3 hops for the 1 of the line, 2 extra,
    /// on one color (no relay). By hand, per allreduce on the row class:
    ///
    /// - stream: 2 extra hops = 2 cycles;
    /// - leader: 2 extra hops + 2 relays (onto the detour and back) = 2 + 40 = 42;
    /// - broadcast: likewise 42;
    /// - the detours share the row above's links with its own line: its payload once more.
    ///
    /// 2 + 42 + 42 = 86 cycles, plus the payload, on every row-class allreduce; nothing else the
    /// defect touches. Both the compiler's phases and the simulation must add exactly that.
    @Test func oneDeadLinkCostsWhatTheHandCountSays() throws {
        let map = """
        version: 1
        target: small64
        fabric: {width: 64, height: 64}
        wafers: 1
        defects:
          - wafer: 0
            dead_links: [[10, 3, E]]
        """
        let clean = try Self.compile(defects: nil), broken = try Self.compile(defects: map)
        let p = broken.plan
        #expect(p.wafers[0].originX == 4 && p.wafers[0].originY == 1 && p.wafers[0].slotWidth == 19 && p.wafers[0].groupSlots == [0])
        let (hop, relay) = (p.target.hopLatencyCycles, p.target.relayLatencyCycles)
        #expect(hop == 1 && relay == 20)
        let handCount = 2 * hop + (2 * hop + 2 * relay) + (2 * hop + 2 * relay)
        #expect(handCount == 86)

        // The routes as drawn above.
        let ex = p.routing.exceptions
        #expect(ex.count == 2 && ex.moves == ["NES", "NWS"] && ex.carries == ["stream,leader", "broadcast"], "\(ex)")
        let rowClass = try #require(p.routing.classes.first { $0.axis == .rows })
        #expect(rowClass.penaltyCycles == handCount && Set(ex.owner) == [rowClass.id])

        // The compiler: every allreduce on the row class takes the hand count plus its payload
        // longer; the phases of the clean plan line up one for one.
        #expect(clean.plan.schedule.phases.count == p.schedule.phases.count)
        let payload = Dictionary(p.routing.flows.map { ($0.id, $0) }, uniquingKeysWith: { a, _ in a })
        var rowPhases = 0
        for (a, b) in zip(clean.plan.schedule.phases, p.schedule.phases) {
            guard let id = b.flow, let flow = payload[id], flow.lineClass == rowClass.id else { continue }
            #expect(b.label == a.label)
            #expect((b.endCycle - b.startCycle) - (a.endCycle - a.startCycle) == handCount + flow.payloadWavelets, "\(b.label)")
            rowPhases += 1
        }
        #expect(rowPhases >= 10)

        // The simulation adds exactly what the compiler adds (the defect map's headroom also
        // folds the experts' cell class into the column class on both sides: the same change).
        let predictedDelta = p.summary.cyclesPerToken - clean.plan.summary.cyclesPerToken
        #expect(predictedDelta > rowPhases * handCount)
        #expect(broken.simulated - clean.simulated == predictedDelta, "simulated +\(broken.simulated - clean.simulated), predicted +\(predictedDelta)")
        // And the two agree to 0.2% on both plans (per-tensor rounding of the MAC cycles differs
        // by a few cycles per unit between the two implementations).
        for (plan, simulated) in [clean, broken] {
            #expect(abs(Double(simulated) / Double(plan.summary.cyclesPerToken) - 1) < 0.002)
        }
    }

    @Test func theAgreementRuleIsTenPercentEitherWay() {
        #expect(TimingAgreement.warning(simulated: 109, predicted: 100) == nil)
        #expect(TimingAgreement.warning(simulated: 91, predicted: 100) == nil)
        let fast = TimingAgreement.warning(simulated: 143.2, predicted: 100)
        #expect(fast?.contains("predicted 100.0 tokens/s, simulated 143.2 tokens/s, simulated / predicted = 1.432") == true, "\(fast ?? "")")
        #expect(fast?.contains("43.2% faster") == true)
        #expect(TimingAgreement.warning(simulated: 85, predicted: 100)?.contains("15.0% slower") == true)
    }

    /// A plan whose recorded estimate the simulation cannot reproduce: the clean tiny plan with
    /// the target's per-layer overhead doubled (the simulation reads it from the plan; the
    /// recorded phases keep the compiler's figure). `check --timing` says so in text and JSON,
    /// and still passes (a warning, not a violation); `compile`'s summary says so too.
    @Test func aDisagreementOfMoreThanTenPercentIsSaidPlainly() throws {
        var plan = try Self.compile(defects: nil).plan
        plan.target.layerOverheadCycles *= 2
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("wafermap-disagree-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let path = dir.appendingPathComponent("skewed.plan.json").path
        _ = try PlanIO.write(plan, to: path)
        let text = try CLI.run(["check", path, "--timing"])
        #expect(text.status == 0, "\(text.stdout)\(text.stderr)")
        let warning = try #require(text.stdout.split(separator: "\n").first { $0.hasPrefix("warning: ") }, "\(text.stdout)")
        #expect(warning.contains("disagree by more than 10%") && warning.contains("predicted 88") && warning.contains("simulated / predicted = 0.5"), "\(warning)")
        let json = try CLI.run(["check", path, "--timing", "--format", "json"])
        let object = try #require(try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [String: Any])
        let timing = try #require(object["timing"] as? [String: Any])
        #expect((timing["simulated_over_predicted"] as? Double).map { $0 < 0.9 } == true)
        #expect((timing["disagreement"] as? String)?.hasPrefix("warning: ") == true)

        // The clean plan itself agrees: no warning.
        let fine = try CLI.run(["compile", TestPaths.example("tiny"), "--target", "small64", "--context", "64", "-o", dir.appendingPathComponent("tiny.plan.json").path])
        #expect(fine.status == 0 && !fine.stdout.contains("warning: ") && fine.stdout.contains("x predicted"), "\(fine.stdout)")
        // compile's summary, on a result whose simulation disagrees with its estimate.
        var request = CompileRequest(count: CountRequest(modelPath: TestPaths.example("tiny")))
        request.count.target = "small64"
        request.count.deployment.contextTokens = 64
        request.planPath = dir.appendingPathComponent("again.plan.json").path
        var result = try Driver.compile(request)
        #expect(!CompileSummary.render(result, reportPath: nil).contains("warning: "))
        result.execution.timing?.tokensPerS *= 1.5
        let summary = CompileSummary.render(result, reportPath: nil)
        #expect(summary.contains("warning: the compiler's estimate and the executor's timing simulation disagree by more than 10%") && summary.contains("= 1.50"), "\(summary)")
    }
}
