import Foundation
import Testing
import WaferPlan
import WaferSupport
import WaferTestSupport

/// Where `compile` and `render` write, and when they write nothing: outputs are checked before
/// any pass runs, never replace an input, and a failed compile leaves the files that were there.
@Suite struct CompileOutputsTests {
    func scratch() throws -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("wafermap-outputs-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }

    @Test func anOutputThatIsAnInputIsRefusedBeforeAnyWork() throws {
        let dir = try scratch()
        defer { try? FileManager.default.removeItem(at: dir) }
        let model = dir.appendingPathComponent("tiny.yaml")
        try FileManager.default.copyItem(at: URL(fileURLWithPath: TestPaths.example("tiny")), to: model)
        let before = try Data(contentsOf: model)
        for arguments in [["-o", model.path], ["-o", dir.appendingPathComponent("p.plan.json").path, "--report", model.path],
                          ["-o", dir.appendingPathComponent("./../\(dir.lastPathComponent)/tiny.yaml").path]] {
            let out = try CLI.run(["compile", model.path, "--target", "small32"] + arguments)
            #expect(out.status == 1, "\(arguments)")
            #expect(out.stderr.contains("is the input file"), "\(out.stderr)")
            #expect(!out.stdout.contains("compiled"))
        }
        #expect(try Data(contentsOf: model) == before)
        #expect(!FileManager.default.fileExists(atPath: dir.appendingPathComponent("p.plan.json").path))
    }

    @Test func unwritableDestinationsAreRefusedBeforeAnyWork() throws {
        let dir = try scratch()
        defer { try? FileManager.default.removeItem(at: dir) }
        let plan = dir.appendingPathComponent("t.plan.json").path
        let cases: [([String], String)] = [
            (["-o", plan, "--report", dir.appendingPathComponent("missing/r.json").path], "does not exist"),
            (["-o", dir.path], "is a directory"),
            (["-o", "/dev/null"], "not a regular file"),
            (["-o", plan, "--report", plan], "name the same path"),
            (["-o", plan, "--svg", dir.appendingPathComponent("t.plan.json.txt").path], "not a directory"),
        ]
        try "not a directory".write(to: dir.appendingPathComponent("t.plan.json.txt"), atomically: true, encoding: .utf8)
        for (arguments, expected) in cases {
            let out = try CLI.run(["compile", "examples/models/tiny.yaml", "--target", "small32"] + arguments)
            #expect(out.status == 1, "\(arguments): \(out.stderr)")
            #expect(out.stderr.contains(expected), "\(arguments): \(out.stderr)")
            #expect(!out.stdout.contains("compiled"), "\(arguments) ran the passes")
        }
        #expect(!FileManager.default.fileExists(atPath: plan))
    }

    @Test func aFailedCompileLeavesTheFilesThatWereThere() throws {
        let dir = try scratch()
        defer { try? FileManager.default.removeItem(at: dir) }
        let plan = dir.appendingPathComponent("tiny.plan.json").path, report = dir.appendingPathComponent("tiny.report.json").path
        let good = try CLI.run(["compile", "examples/models/tiny.yaml", "--target", "small64", "-o", plan, "--report", report])
        #expect(good.status == 0, "\(good.stderr)")
        let planBefore = try Data(contentsOf: URL(fileURLWithPath: plan)), reportBefore = try Data(contentsOf: URL(fileURLWithPath: report))
        // A model whose embedding alone exceeds a small64 wafer: refused after the front end.
        let bad = try CLI.run(["compile", "examples/models/llama-3.1-8b.yaml", "--target", "small64", "--wafers", "1", "-o", plan, "--report", report,
                               "--svg", dir.appendingPathComponent("pictures").path])
        #expect(bad.status == 1)
        #expect(bad.stderr.contains("needs") && bad.stderr.contains("usable"), "\(bad.stderr)")
        #expect(try Data(contentsOf: URL(fileURLWithPath: plan)) == planBefore)
        #expect(try Data(contentsOf: URL(fileURLWithPath: report)) == reportBefore)
        #expect(!FileManager.default.fileExists(atPath: dir.appendingPathComponent("pictures/overview.svg").path))
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir.path).filter { $0.hasPrefix(".wafermap-tmp") }.isEmpty)
    }

    @Test func compileWritesPlanReportAndPicturesTogetherAndPrintsJSON() throws {
        let dir = try scratch()
        defer { try? FileManager.default.removeItem(at: dir) }
        let plan = dir.appendingPathComponent("tiny.plan.json").path, report = dir.appendingPathComponent("r.json").path
        let pictures = dir.appendingPathComponent("svg").path
        let out = try CLI.run(["compile", "examples/models/tiny.yaml", "--target", "small64", "-o", plan, "--report", report, "--svg", pictures,
                               "--format", "json"])
        #expect(out.status == 0, "\(out.stderr)")
        let json = try #require(try JSONSerialization.jsonObject(with: Data(out.stdout.utf8)) as? [String: Any])
        #expect((json["wafers"] as? Int) == 1)
        #expect(((json["executor"] as? [String: Any])?["passed"] as? Bool) == true)
        #expect(try PlanIO.read(path: plan).summary.wafers == 1)
        #expect(FileManager.default.fileExists(atPath: report))
        #expect(try FileManager.default.contentsOfDirectory(atPath: pictures).sorted() == ["overview.svg", "time-split.svg", "wafer-00.svg"])
        // The report on disk is the JSON on stdout but for the wall times.
        let written = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: report))) as? [String: Any])
        #expect((written["tokens_per_s"] as? Double) == (json["tokens_per_s"] as? Double))
    }

    @Test func renderRefusesAPlanThatFailsItsCheckAndDrawsNothing() throws {
        let dir = try scratch()
        defer { try? FileManager.default.removeItem(at: dir) }
        var plan = try PlanIO.read(path: TestPaths.fixture("plans/tiny-small64.plan.json"))
        plan.summary.wafers += 1
        let path = dir.appendingPathComponent("bad.plan.json").path
        try PlanIO.write(plan, to: path)
        let pictures = dir.appendingPathComponent("svg").path
        let out = try CLI.run(["render", path, "--svg", pictures])
        #expect(out.status == 1)
        #expect(out.stderr.contains("failed its consistency check") && out.stderr.contains("summary"), "\(out.stderr)")
        #expect(!FileManager.default.fileExists(atPath: pictures + "/overview.svg"))
        let good = try CLI.run(["render", TestPaths.fixture("plans/tiny-small64.plan.json"), "--svg", pictures])
        #expect(good.status == 0, "\(good.stderr)")
        #expect(FileManager.default.fileExists(atPath: pictures + "/overview.svg"))
    }

    @Test func stagedFilesAreAllOrNothing() throws {
        let dir = try scratch()
        defer { try? FileManager.default.removeItem(at: dir) }
        let a = dir.appendingPathComponent("a.txt").path, b = dir.appendingPathComponent("missing/b.txt").path
        try "old".write(toFile: a, atomically: true, encoding: .utf8)
        var staged = StagedFiles()
        try staged.stage("new", to: a)
        #expect(throws: StagedFiles.Failure.self) { try staged.stage("new", to: b) }
        // The failed stage removed every temporary; the destination is as it was.
        #expect(try String(contentsOfFile: a, encoding: .utf8) == "old")
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir.path) == ["a.txt"])
        var again = StagedFiles()
        try again.stage("new", to: a)
        try again.stage("second", to: dir.appendingPathComponent("c.txt").path)
        #expect(try String(contentsOfFile: a, encoding: .utf8) == "old")
        try again.commit()
        #expect(try String(contentsOfFile: a, encoding: .utf8) == "new")
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir.path).sorted() == ["a.txt", "c.txt"])
    }
}

/// Shapes at the edge of what the compiler maps: each compiles into a plan that passes every check.
@Suite struct EdgeShapeCompileTests {
    @Test func aOneColumnProgramAreaCompilesIntoACheckedPlan() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("wafermap-onecol-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let plan = dir.appendingPathComponent("p.plan.json").path
        let out = try CLI.run(["compile", TestPaths.fixture("models/tiny-untied.yaml"), "--target", TestPaths.fixture("targets/one-column.yaml"), "-o", plan])
        #expect(out.status == 0, "\(out.stderr)")
        let read = try PlanIO.read(path: plan)
        #expect(read.wafers.allSatisfy { $0.slotWidth + $0.spareColumns == 1 })
        // Row allreduces over one PE take no time but keep their phase: every flow is scheduled once.
        #expect(Set(read.schedule.phases.compactMap(\.flow)) == Set(read.routing.flows.map(\.id)))
        #expect(PlanCheck.problems(read).isEmpty)
    }
}

/// Long work is never silent: off a terminal, after `WAFERMAP_PROGRESS_AFTER` seconds (2 by
/// default) a heartbeat names the stage every 5 s, on stderr only.
@Suite struct ProgressTests {
    @Test func aRunOffATerminalGetsAHeartbeatOnStderrOnly() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("wafermap-progress-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let out = try CLI.run(["compile", "examples/models/tiny.yaml", "--target", "small32", "-o", dir.appendingPathComponent("p.plan.json").path,
                               "--format", "json"], environment: ["WAFERMAP_PROGRESS_AFTER": "0"])
        #expect(out.status == 0, "\(out.stderr)")
        #expect(out.stderr.contains("wafermap compile: "), "\(out.stderr)")
        // Stdout stays the JSON report alone.
        #expect(try JSONSerialization.jsonObject(with: Data(out.stdout.utf8)) is [String: Any])
    }
}

/// A tied head multiplies the embedding's tiles where they lie, so it shares the embedding's
/// slot even when the model takes several slots of its wafer (the full numeric check proves it).
@Suite struct TiedHeadTests {
    @Test func aTiedHeadSharesItsWeightsSlotOnAMultiSlotWafer() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("wafermap-tied-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let path = dir.appendingPathComponent("p.plan.json").path
        let out = try CLI.run(["compile", TestPaths.fixture("models/tied-two-slots.yaml"), "--target", "small64", "--context", "512", "-o", path])
        #expect(out.status == 0, "\(out.stderr)")
        #expect(out.stdout.contains("numeric full: agrees"), "\(out.stdout)")
        let plan = try PlanIO.read(path: path)
        #expect(Set(plan.units.map(\.slot)).count >= 2, "the premise: the model takes more than one slot")
        let embed = try #require(plan.units.first { $0.name == "embed_tokens" }), head = try #require(plan.units.first { $0.name == "lm_head" })
        #expect(embed.wafer == head.wafer && embed.slot == head.slot)
    }

    /// Across wafers the head runs last on the first stage, after a wafer link back.
    @Test func aTiedHeadRunsOnItsWeightsWaferAcrossWafers() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("wafermap-tied-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let path = dir.appendingPathComponent("p.plan.json").path
        let out = try CLI.run(["compile", "examples/models/tiny.yaml", "--target", "small32", "--wafers", "3", "-o", path])
        #expect(out.status == 0, "\(out.stderr)")
        #expect(out.stdout.contains("numeric full: agrees"), "\(out.stdout)")
        let plan = try PlanIO.read(path: path)
        #expect(plan.wafers.count == 3)
        let head = try #require(plan.units.last)
        #expect(head.name == "lm_head" && head.wafer == 0 && head.slot == plan.units[0].slot)
        #expect(plan.routing.flows.contains { $0.kind == .waferLink && $0.label == "norm -> lm_head" })
    }
}

/// Found by the second attack: `import`, `defects generate` and `repair` replaced FIFOs, device
/// nodes (as root, /dev/null itself), symbolic links (/dev/stdout) and their own inputs. Every
/// command that writes now checks its outputs first, and every write refuses to replace
/// anything but a regular file.
@Suite struct OutputDestinationTests {
    @Test func everyWriterRefusesLinksFIFOsAndItsInputs() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("wafermap-dest-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let fifo = dir.appendingPathComponent("pipe").path
        #expect(mkfifo(fifo, 0o644) == 0)
        let target = dir.appendingPathComponent("real.txt").path, link = dir.appendingPathComponent("link.txt").path
        try "keep".write(toFile: target, atomically: true, encoding: .utf8)
        try FileManager.default.createSymbolicLink(atPath: link, withDestinationPath: target)
        let config = dir.appendingPathComponent("config.json").path
        try FileManager.default.copyItem(atPath: TestPaths.fixture("hf/llama-3.1-8b/config.json"), toPath: config)
        let plan = TestPaths.fixture("plans/tiny-small64.plan.json")
        let defects = dir.appendingPathComponent("d.yaml").path
        #expect(try CLI.run(["defects", "generate", "--target", "small64", "--wafers", "1", "--rate", "0.001", "-o", defects]).status == 0)
        let planCopy = dir.appendingPathComponent("p.plan.json").path
        try FileManager.default.copyItem(atPath: plan, toPath: planCopy)
        let cases: [([String], String)] = [
            (["import", config, "-o", fifo], "not a regular file"),
            (["import", config, "-o", link], "symbolic link"),
            (["import", config, "-o", config], "is the input file"),
            (["defects", "generate", "--target", "small64", "--wafers", "1", "--rate", "0.001", "-o", fifo], "not a regular file"),
            (["defects", "generate", "--target", "small64", "--wafers", "1", "--rate", "0.001", "-o", link], "symbolic link"),
            (["repair", planCopy, "--add-defects", defects, "-o", planCopy], "is the input file"),
            (["repair", planCopy, "--add-defects", defects, "-o", defects], "is the input file"),
            (["repair", planCopy, "--add-defects", defects, "-o", link], "symbolic link"),
            (["compile", "examples/models/tiny.yaml", "--target", "small32", "-o", link], "symbolic link"),
        ]
        let before = try Data(contentsOf: URL(fileURLWithPath: config)), planBefore = try Data(contentsOf: URL(fileURLWithPath: planCopy))
        for (arguments, expected) in cases {
            let out = try CLI.run(arguments)
            #expect(out.status == 1, "\(arguments): \(out.stderr)")
            #expect(out.stderr.contains(expected), "\(arguments): \(out.stderr)")
        }
        var st = stat()
        #expect(lstat(fifo, &st) == 0 && st.st_mode & S_IFMT == S_IFIFO)
        #expect(lstat(link, &st) == 0 && st.st_mode & S_IFMT == S_IFLNK)
        #expect(try String(contentsOfFile: target, encoding: .utf8) == "keep")
        #expect(try Data(contentsOf: URL(fileURLWithPath: config)) == before)
        #expect(try Data(contentsOf: URL(fileURLWithPath: planCopy)) == planBefore)
    }
}
