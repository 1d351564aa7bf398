import Foundation
import Testing
import WaferFrontend
import WaferIR
@testable import WaferPasses
import WaferSupport
import WaferTarget
import WaferTestSupport

/// `SECTION.KNOB=VALUE` settings and pass-option files: typed values, ranges, did-you-mean,
/// located file errors, and knobs that reach the passes.
@Suite struct PassOptionsTests {
    func options(_ assignments: String...) throws -> PassOptions {
        try PassOptions.parse(assignments: assignments)
    }

    func error(_ assignment: String) -> PassOptionError? {
        var options = PassOptions()
        do throws(PassOptionError) {
            try options.apply(assignment: assignment)
            return nil
        } catch {
            #expect(options == PassOptions(), "a failed setting must leave the options unchanged")
            return error
        }
    }

    @Test func goodValuesOfEveryType() throws {
        let o = try options("route.max-iterations=40", "place.steps = 400", "tile.spare-columns=0,2,8",
                            "color.congested-cost=1e5", "partition.bisection-tolerance=1e-6", "place.cool-low=0.9_1")
        #expect(o.route.maxIterations == 40)
        #expect(o.place.steps == 400)
        #expect(o.tile.spareColumns == [0, 2, 8])
        #expect(o.color.congestedCost == 100_000)
        #expect(o.partition.bisectionTolerance == 1e-6)
        #expect(o.place.coolLow == 0.91)
        #expect(o.changed.map(\.knob.key) == ["partition.bisection-tolerance", "tile.spare-columns", "place.steps", "place.cool-low",
                                              "route.max-iterations", "color.congested-cost"])
        // Later settings win.
        #expect(try options("place.steps=1", "place.steps=2").place.steps == 2)
    }

    @Test func defaultsAreTodaysConstantsAndInRange() throws {
        let d = PassOptions()
        #expect(d.changed.isEmpty)
        #expect(d.inconsistency == nil)
        #expect(Set(PassOptions.knobs.map(\.key)).count == PassOptions.knobs.count, "knob keys must be unique")
        for knob in PassOptions.knobs {
            #expect(throws: Never.self, "\(knob.key)'s default is outside its range") { try knob.check(knob.defaultValue) }
            #expect(PassOptions.sections.contains(knob.section))
            // Every default round-trips through the text form the report and sweep print.
            #expect(try knob.parse(knob.defaultValue.description) == knob.defaultValue, "\(knob.key)")
        }
        #expect(d.value(of: "place.steps") == .integer(200))
        #expect(d.value(of: "route.present-growth") == .number(1.8))
        #expect(d.value(of: "color.scarcity-weight") == .number(8))
        #expect(d.value(of: "tile.expert-aspect-low") == .number(0.7))
        #expect(d.value(of: "route.window-margins") == .integers([3, 12, 48]))
    }

    @Test func rangeAndTypeErrors() throws {
        #expect(error("route.max-iterations=0") == .outOfRange(key: "route.max-iterations", value: "0", range: "1...1000"))
        #expect(error("place.cool-high=1.5") == .outOfRange(key: "place.cool-high", value: "1.5", range: "0.01...0.999"))
        #expect(error("tile.spare-columns=") == .wrongType(key: "tile.spare-columns", value: "", expected: "integer list"))
        #expect(error("place.steps=many") == .wrongType(key: "place.steps", value: "many", expected: "integer"))
        #expect(error("place.steps=2.5") == .wrongType(key: "place.steps", value: "2.5", expected: "integer"))
        #expect(error("place.start-temperature=inf") == .wrongType(key: "place.start-temperature", value: "inf", expected: "number"))
        #expect(error("place.steps") == .malformed("place.steps"))
        #expect(error("=4") == .malformed("=4"))
        #expect(error("place.accept-mid=0.99")?.kind == PassFailure(rawValue: "pass-option.inconsistent"))
        #expect(error("tile.spare-columns=4,2")?.kind == PassFailure(rawValue: "pass-option.inconsistent"))
        let d = PassOptionError.outOfRange(key: "route.max-iterations", value: "0", range: "1...1000").diagnostic(at: nil)
        #expect(d.description.contains("--pass-option: route.max-iterations=0 is out of range"))
        #expect(d.description.contains("route.max-iterations takes 1...1000"))
    }

    @Test func unknownKeysSuggestTheNearest() throws {
        #expect(error("route.max-iteration=4") == .unknownKnob(key: "route.max-iteration", suggestion: "route.max-iterations",
                                                                known: PassOptions.knobs.filter { $0.section == "route" }.map(\.name)))
        #expect(error("rout.max-iterations=4") == .unknownSection(key: "rout.max-iterations", suggestion: "route"))
        #expect(error("steps=4") == .unknownSection(key: "steps", suggestion: nil))
        do {
            _ = try PassOptions.parse(assignments: ["place.setps=4"])
            Issue.record("an unknown knob must throw")
        } catch {
            #expect(error.description.contains("unknown pass option 'place.setps'"))
            #expect(error.description.contains("did you mean 'place.steps'?"))
        }
    }

    func file(_ text: String) throws -> String {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("pass-options-\(UUID().uuidString).yaml")
        try text.write(to: url, atomically: true, encoding: .utf8)
        return url.path
    }

    @Test func filesOfTheSameKeys() throws {
        let path = try file("route: {max-iterations: 40}\nplace:\n  steps: 400\n  cool-low: 0.9\ntile:\n  spare-columns: [0, 4, 16]\n")
        defer { try? FileManager.default.removeItem(atPath: path) }
        let o = try PassOptions.parse(assignments: ["place.steps=7"], files: [path])
        #expect(o.route.maxIterations == 40)
        #expect(o.place.steps == 7, "the command line overrides the file")
        #expect(o.place.coolLow == 0.9)
        #expect(o.tile.spareColumns == [0, 4, 16])
    }

    @Test func fileErrorsNameLineAndColumn() throws {
        let cases: [(String, String)] = [
            ("place:\n  steps: 400\n  setps: 3\n", ":3:3: error: unknown key 'setps' in section 'place'"),
            ("place:\n  steps: 400\nroute:\n  max-iterations: 0\n", ":4:19: error: route.max-iterations=0 is out of range"),
            ("rout:\n  max-iterations: 4\n", ":1:1: error: unknown key 'rout' in the pass options"),
            ("tile:\n  max-grid: 2.5\n", ":2:13: error: expected an integer for tile.max-grid, found the number 2.5"),
        ]
        for (text, expected) in cases {
            let path = try file(text)
            defer { try? FileManager.default.removeItem(atPath: path) }
            do {
                _ = try PassOptions.parse(assignments: [], files: [path])
                Issue.record("\(text) must fail")
            } catch {
                #expect(error.description.contains(path + expected), "\(error.description)")
            }
        }
        let misspelt = try file("place:\n  setps: 3\n")
        defer { try? FileManager.default.removeItem(atPath: misspelt) }
        #expect(throws: DiagnosticError.self) { try PassOptions.parse(assignments: [], files: [misspelt]) }
        do { _ = try PassOptions.parse(assignments: [], files: [misspelt]) } catch { #expect(error.description.contains("did you mean 'steps'?")) }
    }

    @Test func anUnknownPassNameIsAnErrorNotTheWholePipeline() throws {
        #expect(try PassRegistry.pipeline(through: "place").map(\.name) == ["assign-precision", "partition", "tile", "place"])
        do {
            _ = try PassRegistry.pipeline(through: "plaec")
            Issue.record("an unknown pass must throw")
        } catch {
            #expect(error.description.contains("unknown pass 'plaec'"))
            #expect(error.description.contains("did you mean 'place'?"))
        }
    }

    // MARK: Knobs reach the passes

    func compile(_ options: PassOptions, model: String = "tiny", target: String = "small64", rate: Double = 0, seed: UInt64 = 1,
                 through last: String = "schedule") throws -> Graph {
        let t = try BuiltinTargets.resolve(target)
        let defects: DefectSource = rate > 0 ? .generated(DefectGenerator(target: t, rate: rate, clustering: .init(), seed: seed)) : .none
        var graph = try ModelLoader.load(path: TestPaths.example(model))
        let context = PassContext(target: t, defects: defects, deployment: DeploymentOptions(contextTokens: 256, seed: seed), options: options)
        _ = try PassManager(passes: try PassRegistry.pipeline(through: last)).run(&graph, context: context)
        return graph
    }

    /// `tile.max-grid` bounds the grid search: tiny on small64 takes a 3 x 7 grid by default
    /// (measured), a 1 x 1 grid when the search may not go further.
    @Test func theTileGridKnobReachesTheTilePass() throws {
        let searched = try #require(try compile(PassOptions()).layout?.wafers.first)
        #expect(searched.gridColumns * searched.gridRows > 1)
        let bounded = try #require(try compile(try PassOptions.parse(assignments: ["tile.max-grid=1"])).layout?.wafers.first)
        #expect(bounded.gridColumns == 1 && bounded.gridRows == 1)
    }

    /// PathFinder's search windows: with a 1% clustered map (seed 2) the default margins route
    /// every exception; margins of 0 PEs that never grow cannot step around a dead PE, and the
    /// route pass fails with its typed error (measured: a broadcast transfer at (12, 5)).
    @Test func windowsTooNarrowMakeADetourFailWithItsCode() throws {
        let routed = try compile(PassOptions(), rate: 0.01, seed: 2)
        #expect((routed.routing?.exceptions.count ?? 0) > 0, "the case must need detours")
        let narrow = try PassOptions.parse(assignments: ["route.window-margins=0", "route.margin-growth=0"])
        do {
            _ = try compile(narrow, rate: 0.01, seed: 2)
            Issue.record("a zero-margin window must leave a detour unroutable")
        } catch let error as DiagnosticError {
            #expect(error.contains(PassFailure.routeUnroutable))
        }
    }

    /// PathFinder's knobs on a deliberately congested case: `route.relay-reserve=15` leaves the
    /// PEs almost no capacity, so negotiation never clears the overuse and stops after
    /// `stall-iterations` (2) iterations without progress: 3 in all (measured, tiny on small64,
    /// 2% clustered, seed 1). `max-iterations=1` cuts it to 1; `stall-iterations=5` lets it run
    /// 6 (measured).
    @Test func pathFinderStopsAtItsIterationKnobs() throws {
        func iterations(_ extra: String...) throws -> Int {
            let options = try PassOptions.parse(assignments: ["route.relay-reserve=15"] + extra)
            let routing = try #require(try compile(options, rate: 0.02, seed: 1, through: "route").routing)
            return try #require(routing.wafers.first).negotiationIterations
        }
        #expect(try iterations() == 3)
        #expect(try iterations("route.max-iterations=1") == 1)
        #expect(try iterations("route.stall-iterations=5") == 6)
        #expect(try iterations("route.stall-iterations=5", "route.max-iterations=4") == 4)
    }

    /// `place.steps` reaches the place pass: Llama-3.1-8B on a WSE-3 with a 0.1% clustered map
    /// has 8 groups whose snake start skips dead slots; annealing shortens its hand-off
    /// (measured, seeds 1 to 3: 2,009 -> 1,379, 1,799 -> 1,379, 2,343 -> 1,589 PEs), and
    /// `place.steps=0` keeps the snake start exactly.
    @Test(arguments: [UInt64(1), 2, 3])
    func thePlaceStepsKnobReachesThePlacePass(_ seed: UInt64) throws {
        var frozen = PassOptions()
        frozen.place.steps = 0
        let annealed = try #require(try compile(PassOptions(), model: "llama-3.1-8b", target: "wse3", rate: 0.001, seed: seed, through: "place").layout?.wafers.first)
        let snake = try #require(try compile(frozen, model: "llama-3.1-8b", target: "wse3", rate: 0.001, seed: seed, through: "place").layout?.wafers.first)
        let free = PlacePass().snake(snake).filter { snake.usableSlots[$0] }
        #expect(snake.groupSlot == Array(free.prefix(snake.groupCount)), "0 steps must keep the snake start")
        #expect(try #require(annealed.handoffHops) < (try #require(snake.handoffHops)))
    }
}
