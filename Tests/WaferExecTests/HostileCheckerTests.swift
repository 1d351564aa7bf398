import Foundation
import Testing
import WaferExec
import WaferPlan
import WaferSupport
import WaferTestSupport

/// Plans that read (every field has its type and is within the reader's limits) but contradict
/// themselves, class by class: the plan check (`PlanCheck`, what `check-plan` runs) and the
/// executor (what `check` runs) must each reject every one, independently.
@Suite struct HostileCheckerTests {
    static func plan() throws -> Plan {
        try PlanIO.read(path: TestPaths.fixture("plans/tiny-small64-clustered.plan.json"))
    }

    /// Both checkers' verdicts on `plan`: the plan check's problems and the executor's findings.
    static func verdicts(_ plan: Plan) -> (problems: [String], executor: [String]) {
        let report = Executor.run(plan)
        return (PlanCheck.problems(plan), report.violations.items.map { "\($0.category.rawValue): \($0.message)" })
    }

    static func expectBothReject(_ plan: Plan, mentioning word: String, sourceLocation: Testing.SourceLocation = #_sourceLocation) {
        let (problems, executor) = verdicts(plan)
        #expect(problems.contains { $0.contains(word) }, "plan check: \(problems.prefix(3))", sourceLocation: sourceLocation)
        #expect(executor.contains { $0.contains(word) }, "executor: \(executor.prefix(3))", sourceLocation: sourceLocation)
        #expect(!Executor.run(plan).passed, sourceLocation: sourceLocation)
    }

    @Test func theFixtureHasExceptionRoutesAndPassesBoth() throws {
        let plan = try Self.plan()
        #expect(plan.routing.exceptions.count > 0)
        let (problems, executor) = Self.verdicts(plan)
        #expect(problems.isEmpty && executor.isEmpty, "\(problems.prefix(3)) \(executor.prefix(3))")
    }

    @Test func aRouteWithNoMovesIsRejected() throws {
        var plan = try Self.plan()
        plan.routing.exceptions.moves[0] = ""
        Self.expectBothReject(plan, mentioning: "no moves")
    }

    @Test func ownersAndFlowsPastTheirTablesAreRejected() throws {
        let base = try Self.plan()
        var plan = base
        plan.routing.exceptions.owner[0] = 1_000_000
        Self.expectBothReject(plan, mentioning: "no such")

        plan = base
        let f = try #require(plan.routing.flows.firstIndex { $0.lineClass != nil })
        plan.routing.flows[f].lineClass = 1_000_000
        Self.expectBothReject(plan, mentioning: "no such")

        plan = base
        plan.routing.flows[0].bundles.append(1_000_000)
        Self.expectBothReject(plan, mentioning: "bundle 1000000")

        plan = base
        plan.routing.flows[0].unit = plan.units.count + 3
        Self.expectBothReject(plan, mentioning: "no such")

        plan = base
        let p = try #require(plan.schedule.phases.firstIndex { $0.flow != nil })
        plan.schedule.phases[p].flow = 1_000_000
        Self.expectBothReject(plan, mentioning: "no such")

        plan = base
        plan.schedule.phases[0].unit = -4
        Self.expectBothReject(plan, mentioning: "no such")

        plan = base
        plan.routing.classes[0].foldedInto = 1_000_000
        Self.expectBothReject(plan, mentioning: "no such")
    }

    @Test func unknownWordsAreRefusedByTheReaderAtTheirField() throws {
        let text = try String(contentsOfFile: TestPaths.fixture("plans/tiny-small64-clustered.plan.json"), encoding: .utf8)
        for (word, replacement, expected) in [("\"orientation\":\"in-rows\"", "\"orientation\":\"diagonal\"", "unknown tensor orientation 'diagonal'"),
                                              ("\"kind\":\"embedding\"", "\"kind\":\"conv2d\"", "unknown op kind 'conv2d'"),
                                              ("\"axis\":\"rows\"", "\"axis\":\"diagonals\"", "unknown line axis"),
                                              ("\"region\":\"slot\"", "\"region\":\"wafer\"", "unknown tensor region")] {
            let hostile = text.replacingOccurrences(of: word, with: replacement)
            #expect(hostile != text, "the fixture has no \(word)")
            do throws(DiagnosticError) {
                _ = try PlanIO.decode(Data(hostile.utf8), file: "hostile.plan.json")
                Issue.record("\(replacement) was read")
            } catch {
                let d = try #require(error.diagnostics.first)
                #expect(d.message.contains(expected), "\(d.message)")
                #expect(d.location?.line == 1 && (d.location?.column ?? 0) > 1)
            }
        }
    }

    @Test func aTileLargerThanAPEsSRAMIsRejected() throws {
        var plan = try Self.plan()
        let u = try #require(plan.units.firstIndex { $0.tensors.contains { $0.orientation != .vector } })
        let t = try #require(plan.units[u].tensors.firstIndex { $0.orientation != .vector })
        plan.units[u].tensors[t].tileRows = 1024
        plan.units[u].tensors[t].tileCols = 1024
        Self.expectBothReject(plan, mentioning: "SRAM")
    }

    @Test func defectsOffTheFabricAreRejected() throws {
        let base = try Self.plan()
        let pes = Int32(base.target.fabricWidth * base.target.fabricHeight)
        var plan = base
        plan.wafers[0].deadPes.append(pes + 7)
        Self.expectBothReject(plan, mentioning: "off the 64 x 64 fabric")
        plan = base
        plan.wafers[0].deadLinks.append(2 * pes + 3)
        Self.expectBothReject(plan, mentioning: "off the 64 x 64 fabric")
        plan = base
        // The link east of the last PE of a row leads off the fabric.
        plan.wafers[0].deadLinks = (plan.wafers[0].deadLinks + [Int32(2 * (base.target.fabricWidth - 1))]).sorted()
        Self.expectBothReject(plan, mentioning: "off the 64 x 64 fabric")
    }

    @Test func aSummaryThatContradictsTheBodyIsRejected() throws {
        let base = try Self.plan()
        var plan = base
        plan.summary.wafers += 1
        Self.expectBothReject(plan, mentioning: "summary")
        plan = base
        plan.summary.exceptionRoutes += 1
        Self.expectBothReject(plan, mentioning: "summary")
        plan = base
        plan.summary.overlayRoutes += 1
        Self.expectBothReject(plan, mentioning: "summary")
        plan = base
        plan.summary.tokensPerS *= 2
        Self.expectBothReject(plan, mentioning: "summary")
        plan = base
        plan.summary.maxColorsPerPe += 1
        Self.expectBothReject(plan, mentioning: "summary")
    }

    /// A plan whose wafers hold more PEs than the executor may simulate is refused by the reader
    /// (`PlanLimits.maxTotalPEs`) at its `wafers` list, before any fabric is allocated.
    @Test func aPlanWithMorePEsThanTheReaderAcceptsIsRefused() throws {
        var plan = try Self.plan()
        plan.target.fabricWidth = 4096
        plan.target.fabricHeight = 4096
        let wafer = plan.wafers[0]
        for i in 1...4 { var w = wafer; w.index = i; plan.wafers.append(w) }
        let text = try PlanIO.encode(plan)
        do throws(DiagnosticError) {
            _ = try PlanIO.decode(text, file: "many.plan.json")
            Issue.record("a plan of 5 wafers of 4096 x 4096 PEs was read")
        } catch {
            #expect(error.description.contains("wafers: 5 wafers of 4096 x 4096 PEs hold more than the 67108864 PEs"), "\(error.description)")
        }
        plan.wafers.removeLast()
        #expect(throws: Never.self) { _ = try PlanIO.decode(try PlanIO.encode(plan), file: "four.plan.json") }
    }

    /// A tied head whose weight lies on another slot: both checkers refuse it structurally, for
    /// any model size (the sampled numeric check of large models leaves the head out).
    @Test func aTiedHeadAwayFromItsWeightIsRejected() throws {
        var plan = try Self.plan()
        let head = try #require(plan.units.firstIndex { $0.ops.contains { $0.tiedWeight != nil } })
        plan.units[head].slot += 1
        plan.wafers[plan.units[head].wafer].groupSlots.append(plan.units[head].slot)
        plan.units[head].group = plan.wafers[plan.units[head].wafer].groupSlots.count - 1
        Self.expectBothReject(plan, mentioning: "not on its own slot")
    }

    /// Found by the second attack: plans the reader must refuse before PlanCheck or the
    /// executor's numeric check index a range backwards (they trapped), and an overlay with no
    /// colors, which the executor passed.
    @Test func backwardRangesAndColorlessOverlaysAreRefused() throws {
        let base = try Self.plan()
        for mutate in [{ (p: inout Plan) in p.target.haloEast = p.target.fabricWidth },
                       { (p: inout Plan) in p.target.haloSouth = p.target.fabricHeight - p.target.haloNorth },
                       { (p: inout Plan) in p.target.fabricWidth = 1 },
                       { (p: inout Plan) in p.routing.classes[0].columns[0] = p.routing.classes[0].columns[1] + 5 },
                       { (p: inout Plan) in p.routing.classes[0].rows[0] = p.routing.classes[0].rows[1] + 1 }] {
            var plan = base
            mutate(&plan)
            do throws(DiagnosticError) {
                _ = try PlanIO.decode(try PlanIO.encode(plan), file: "backward.plan.json")
                Issue.record("a plan with a backward range or no program area was read")
            } catch {
                #expect(error.description.contains("halo") || error.description.contains("range") || error.description.contains("fabric"), "\(error.description)")
            }
            _ = PlanCheck.problems(plan)   // must not trap either, read or not
        }
        var plan = base
        plan.wafers[0].overlayPes = [100, 101]
        plan.wafers[0].overlayColors = []
        Self.expectBothReject(plan, mentioning: "overlay")
        // A class wider than its slot: both checkers, and the numeric check does not trap.
        plan = base
        plan.routing.classes[0].columns[1] = plan.wafers[0].slotWidth + 3
        #expect(!PlanCheck.problems(plan).isEmpty)
        var options = Executor.Options()
        options.numeric = true
        #expect(!Executor.run(plan, options: options).passed)
    }
}
