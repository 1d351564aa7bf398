import Foundation
import Testing
import WaferExec
import WaferMap
import WaferPasses
import WaferPlan
import WaferSupport
import WaferTarget
import WaferTestSupport

/// `wafermap repair`: plans compiled on small fabrics, new defects added, the repaired plans
/// checked by the executor (every wafer replayed, full numeric run), and what the repair must
/// leave alone compared field by field.
@Suite struct RepairTests {
    func scratch() throws -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("wafermap-repair-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }

    /// The tiny model with an untied head (a tied head must share the embedding's wafer), so it
    /// spreads over several wafers.
    func untiedTiny(in dir: URL) throws -> String {
        let text = try String(contentsOfFile: TestPaths.example("tiny"), encoding: .utf8).replacingOccurrences(of: "tied: true", with: "tied: false")
        let path = dir.appendingPathComponent("untied.yaml").path
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    func compile(_ model: String, to path: String, target: String, wafers: Int? = nil, defectRate: Double? = nil, seed: UInt64 = 1) throws -> Plan {
        var count = CountRequest(modelPath: model)
        count.target = target
        count.deployment.contextTokens = 64
        count.deployment.seed = seed
        if let wafers { count.deployment.wafers = .exactly(wafers) }
        if let defectRate { count.defects = .generate(rate: defectRate, seed: seed, clustered: true) }
        var request = CompileRequest(count: count)
        request.planPath = path
        let result = try Driver.compile(request)
        #expect(result.problems.isEmpty && result.execution.passed, "\(result.execution.violations.items)")
        return result.plan
    }

    /// A defect map of the plan's own defects plus `extra` dead PEs per wafer, written as YAML.
    func writeMap(_ plan: Plan, extra: [Int: [Int32]], to path: String) throws {
        let wafers = plan.wafers.map { w in
            WaferDefects(deadPEs: Array(Set(w.deadPes + (extra[w.index] ?? []))).sorted(), deadLinks: w.deadLinks)
        }
        let map = DefectMap(targetName: plan.target.name, fabricWidth: plan.target.fabricWidth, fabricHeight: plan.target.fabricHeight, wafers: wafers)
        try DefectMapIO.render(map).write(toFile: path, atomically: true, encoding: .utf8)
    }

    /// PEs of logical column 0 (never a spare) in the first `rows` rows of group 0's slot.
    func homePEs(_ plan: Plan, wafer: Int, rows: Int) -> [Int32] {
        let w = plan.wafers[wafer], width = plan.target.fabricWidth
        let slot = w.groupSlots[0]
        let x = w.originX + (slot % w.gridColumns) * (w.slotWidth + w.spareColumns), y = w.originY + (slot / w.gridColumns) * w.slotHeight
        return (0..<rows).map { Int32((y + $0) * width + x) }
    }

    func repair(_ planPath: String, _ mapPath: String, _ out: String, fullCheck: Bool = true) throws -> RepairResult {
        var request = RepairRequest(planPath: planPath, defectsPath: mapPath, outputPath: out)
        request.fullCheck = fullCheck
        return try Driver.repair(request)
    }

    @Test(arguments: [UInt64(1), 2, 3, 4])
    func repairedPlansPassEveryCheckAcrossSeeds(_ seed: UInt64) throws {
        let dir = try scratch()
        defer { try? FileManager.default.removeItem(at: dir) }
        let model = try untiedTiny(in: dir)
        let planPath = dir.appendingPathComponent("a.plan.json").path, mapPath = dir.appendingPathComponent("b.yaml").path
        let original = try compile(model, to: planPath, target: "small32", wafers: 3, defectRate: 0.02, seed: seed)
        // New dead PEs on wafer 1 only, under tiles of its first group.
        let added = homePEs(original, wafer: 1, rows: 2).filter { !original.wafers[1].deadPes.contains($0) }
        try #require(!added.isEmpty)
        try writeMap(original, extra: [1: added], to: mapPath)

        // The plan as it was does not survive the new defects...
        var check = CheckRequest(planPath: planPath)
        check.defectsPath = mapPath
        let before = try Driver.check(check)
        #expect(!before.report.passed)
        #expect(before.report.violations.items.contains { $0.message.contains("wafer 1") })

        // ...the repaired one passes every check, every wafer replayed and the numerics in full.
        let out = dir.appendingPathComponent("b.plan.json").path
        let result = try repair(planPath, mapPath, out)
        #expect(result.passed, "\(result.problems) \(result.execution.violations.items)")
        #expect(result.checkedWafers == [0, 1, 2])
        #expect(result.execution.numeric?.mode.hasPrefix("full") == true && result.execution.numeric?.passed == true)
        let d = result.delta
        #expect(d.touchedWafers == [1] && d.newDeadPes == added.count && d.revivedPes == 0)
        #expect(d.tilePositionsMoved >= added.count && d.bytesMoved > 0)
        #expect(d.exceptionsTotal == result.plan.routing.exceptions.count)

        // Only wafer 1 changed: the others' grids, defects, units and routes are as they were.
        let repaired = try PlanIO.read(path: out)
        #expect(repaired == result.plan)
        for w in [0, 2] { #expect(repaired.wafers[w] == original.wafers[w]) }
        #expect(repaired.wafers[1].deadPes == Array(Set(original.wafers[1].deadPes + added)).sorted())
        for (a, b) in zip(original.units, repaired.units) where a.wafer != 1 { #expect(a == b) }
        func routes(_ p: Plan, _ w: Int) -> [PlanException] {
            (0..<p.routing.exceptions.count).filter { p.routing.exceptions.wafer[$0] == w }.map { p.routing.exceptions[$0] }
        }
        for w in [0, 2] { #expect(routes(repaired, w) == routes(original, w)) }
        // The same inputs give the same bytes.
        let again = dir.appendingPathComponent("b2.plan.json").path
        _ = try repair(planPath, mapPath, again)
        #expect(try Data(contentsOf: URL(fileURLWithPath: again)) == Data(contentsOf: URL(fileURLWithPath: out)))
    }

    @Test func aRepairWithThePlansOwnDefectsChangesNothing() throws {
        let dir = try scratch()
        defer { try? FileManager.default.removeItem(at: dir) }
        let model = try untiedTiny(in: dir)
        let planPath = dir.appendingPathComponent("a.plan.json").path, mapPath = dir.appendingPathComponent("same.yaml").path
        let original = try compile(model, to: planPath, target: "small32", wafers: 3, defectRate: 0.02, seed: 5)
        try writeMap(original, extra: [:], to: mapPath)
        let result = try repair(planPath, mapPath, dir.appendingPathComponent("b.plan.json").path, fullCheck: false)
        #expect(result.passed)
        #expect(result.delta.touchedWafers.isEmpty && result.delta.tilePositionsMoved == 0 && result.delta.exceptionsNew == 0)
        var expected = original
        expected.inputs.defects = result.plan.inputs.defects
        #expect(result.plan == expected)
    }

    @Test func aGroupWhoseSlotDiesMovesToAFreeSlot() throws {
        let dir = try scratch()
        defer { try? FileManager.default.removeItem(at: dir) }
        let planPath = dir.appendingPathComponent("tiny.plan.json").path, mapPath = dir.appendingPathComponent("b.yaml").path
        let original = try compile(TestPaths.example("tiny"), to: planPath, target: "small64")
        let w = original.wafers[0]
        try #require(w.spareColumns == 0 && w.groupSlots.count == 1 && w.gridColumns * w.gridRows > 1)
        try writeMap(original, extra: [0: homePEs(original, wafer: 0, rows: 1)], to: mapPath)
        let result = try repair(planPath, mapPath, dir.appendingPathComponent("b.plan.json").path)
        #expect(result.passed, "\(result.execution.violations.items)")
        let move = try #require(result.delta.groupsMoved.first)
        #expect(result.delta.groupsMoved.count == 1 && move.fromSlot == w.groupSlots[0] && move.toSlot != move.fromSlot)
        #expect(move.units.contains("layer 0") && move.units.contains("lm_head"))
        #expect(result.delta.tilePositionsMoved == w.slotWidth * w.slotHeight)
        #expect(result.plan.units.allSatisfy { $0.slot == move.toSlot })
    }

    @Test func aWaferWithNoFreeUsableSlotIsReTiled() throws {
        let dir = try scratch()
        defer { try? FileManager.default.removeItem(at: dir) }
        let planPath = dir.appendingPathComponent("tiny.plan.json").path, mapPath = dir.appendingPathComponent("b.yaml").path
        let original = try compile(TestPaths.example("tiny"), to: planPath, target: "small64")
        let w = original.wafers[0], width = original.target.fabricWidth
        try #require(w.spareColumns == 0)
        // One dead PE in every slot: with no spare columns, no slot of this grid is usable.
        let dead = (0..<(w.gridColumns * w.gridRows)).map { s in
            Int32((w.originY + (s / w.gridColumns) * w.slotHeight) * width + w.originX + (s % w.gridColumns) * (w.slotWidth + w.spareColumns))
        }
        try writeMap(original, extra: [0: dead], to: mapPath)
        let result = try repair(planPath, mapPath, dir.appendingPathComponent("b.plan.json").path)
        #expect(result.passed, "\(result.execution.violations.items)")
        #expect(result.delta.wafersRetiled == [0] && result.delta.groupsMoved.isEmpty)
        let n = result.plan.wafers[0]
        #expect(n.spareColumns > 0 || (n.gridColumns, n.gridRows) != (w.gridColumns, w.gridRows))
        #expect(result.delta.tilePositionsMoved == n.slotWidth * n.slotHeight * n.groupSlots.count)
        #expect(result.execution.numeric?.passed == true)
    }

    @Test func aMapMissingWafersIsAnErrorAndWritesNothing() throws {
        let dir = try scratch()
        defer { try? FileManager.default.removeItem(at: dir) }
        let model = try untiedTiny(in: dir)
        let planPath = dir.appendingPathComponent("a.plan.json").path, mapPath = dir.appendingPathComponent("short.yaml").path
        let original = try compile(model, to: planPath, target: "small32", wafers: 3)
        var short = original
        short.wafers.removeLast()
        try writeMap(short, extra: [:], to: mapPath)
        let out = dir.appendingPathComponent("b.plan.json").path
        #expect {
            _ = try repair(planPath, mapPath, out)
        } throws: { error in
            (error as? DiagnosticError)?.description.contains("lists 2 wafers, the plan uses 3") == true
        }
        #expect(!FileManager.default.fileExists(atPath: out))
    }

    @Test func theModelMustBeTheOneThePlanWasCompiledFrom() throws {
        let dir = try scratch()
        defer { try? FileManager.default.removeItem(at: dir) }
        let model = try untiedTiny(in: dir)
        let planPath = dir.appendingPathComponent("a.plan.json").path, mapPath = dir.appendingPathComponent("b.yaml").path
        let original = try compile(model, to: planPath, target: "small64")
        try writeMap(original, extra: [:], to: mapPath)
        // Moved: --model finds it again.
        let moved = dir.appendingPathComponent("moved.yaml").path
        try FileManager.default.moveItem(atPath: model, toPath: moved)
        var request = RepairRequest(planPath: planPath, defectsPath: mapPath, outputPath: dir.appendingPathComponent("b.plan.json").path)
        #expect(throws: DiagnosticError.self) { try Driver.repair(request) }
        request.modelPath = moved
        #expect(try Driver.repair(request).passed)
        // Edited: refused, naming both digests.
        try (String(contentsOfFile: moved, encoding: .utf8) + "# edited\n").write(toFile: moved, atomically: true, encoding: .utf8)
        #expect {
            _ = try Driver.repair(request)
        } throws: { error in
            (error as? DiagnosticError)?.description.contains("is not the model") == true
        }
    }

    @Test func checkAndRepairReadMapsForACustomTarget() throws {
        let dir = try scratch()
        defer { try? FileManager.default.removeItem(at: dir) }
        // A target of our own (not built in): the plan's figures are the whole target.
        let yaml = try String(contentsOfFile: TestPaths.root.appendingPathComponent("examples/targets/small64.yaml").path, encoding: .utf8)
            .replacingOccurrences(of: "name: small64", with: "name: bench64")
        let targetPath = dir.appendingPathComponent("bench64.yaml").path
        try yaml.write(toFile: targetPath, atomically: true, encoding: .utf8)
        let planPath = dir.appendingPathComponent("tiny.plan.json").path, mapPath = dir.appendingPathComponent("b.yaml").path
        let original = try compile(TestPaths.example("tiny"), to: planPath, target: targetPath)
        #expect(original.target.name == "bench64")
        try writeMap(original, extra: [0: homePEs(original, wafer: 0, rows: 1)], to: mapPath)
        var check = CheckRequest(planPath: planPath)
        check.defectsPath = mapPath
        #expect(try !Driver.check(check).report.passed)
        let result = try repair(planPath, mapPath, dir.appendingPathComponent("b.plan.json").path)
        #expect(result.passed && result.plan.target == original.target)
    }

    @Test func theExecutorsWaferScopeReplaysOnlyWhatItNames() throws {
        let dir = try scratch()
        defer { try? FileManager.default.removeItem(at: dir) }
        let model = try untiedTiny(in: dir)
        let plan = try compile(model, to: dir.appendingPathComponent("a.plan.json").path, target: "small32", wafers: 3, defectRate: 0.02, seed: 2)
        var options = Executor.Options()
        options.faults = [1: homePEs(plan, wafer: 1, rows: 1)]
        #expect(!Executor.run(plan, options: options).passed)
        options.wafers = [1]
        #expect(!Executor.run(plan, options: options).passed)
        options.wafers = [0, 2]
        #expect(Executor.run(plan, options: options).passed)
    }

    @Test func theRepairCommandReportsWhatMoved() throws {
        let dir = try scratch()
        defer { try? FileManager.default.removeItem(at: dir) }
        let planPath = dir.appendingPathComponent("tiny.plan.json").path, mapPath = dir.appendingPathComponent("b.yaml").path
        let original = try compile(TestPaths.example("tiny"), to: planPath, target: "small64")
        try writeMap(original, extra: [0: homePEs(original, wafer: 0, rows: 2)], to: mapPath)
        let out = dir.appendingPathComponent("b.plan.json").path
        let text = try CLI.run(["repair", planPath, "--defects", mapPath, "-o", out])
        #expect(text.status == 0, "\(text.stderr)")
        #expect(text.stdout.contains("1 of 1 wafers touched (0): +2 dead PEs"))
        #expect(text.stdout.contains("group 0 slot \(original.wafers[0].groupSlots[0]) -> "))
        #expect(text.stdout.contains("executor    valid"))
        let json = try CLI.run(["repair", planPath, "--defects", mapPath, "-o", out, "--format", "json"])
        #expect(json.status == 0)
        let object = try #require(try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [String: Any])
        let delta = try #require(object["delta"] as? [String: Any])
        #expect(object["passed"] as? Bool == true && delta["new_dead_pes"] as? Int == 2 && delta["touched_wafers"] as? [Int] == [0])
        // Bad input: a missing map is an input error naming the file; nothing is written.
        let missing = try CLI.run(["repair", planPath, "--defects", dir.appendingPathComponent("nope.yaml").path, "-o", dir.appendingPathComponent("c.plan.json").path])
        #expect(missing.status == 1 && missing.stderr.contains("nope.yaml"))
        #expect(!FileManager.default.fileExists(atPath: dir.appendingPathComponent("c.plan.json").path))
    }
}
