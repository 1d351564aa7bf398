import Foundation
import Testing
import WaferExec
import WaferPlan
import WaferSupport
import WaferTestSupport

/// The plan reader's limits on hostile input (PlanLimits) and the executor on plans that read
/// but disagree with themselves: each is a located error or a violation, never a crash.
@Suite struct HostilePlanTests {
    static let fixture = "plans/tiny-small64-clustered.plan.json"

    static func text() throws -> String { try String(contentsOfFile: TestPaths.fixture(fixture), encoding: .utf8) }

    /// The error reading `text`, or nil when it reads.
    static func readError(_ text: String) -> Diagnostic? {
        do throws(DiagnosticError) {
            _ = try PlanIO.decode(Data(text.utf8), file: "hostile.plan.json")
            return nil
        } catch {
            return error.diagnostics.first
        }
    }

    @Test(arguments: ["tiny-small64.plan.json", "tiny-small64-clustered.plan.json", "tiny-wse3.plan.json"])
    func fixturePlansReadCheckAndRun(_ name: String) throws {
        let plan = try PlanIO.read(path: TestPaths.fixture("plans/" + name))
        #expect(PlanCheck.problems(plan).isEmpty)
        var options = Executor.Options()
        options.numeric = true
        options.timing = true
        let report = Executor.run(plan, options: options)
        #expect(report.passed, "\(report.violations.items.prefix(3))")
        #expect(report.stages.map(\.name) == ["fabric", "routes", "placement", "schedule", "numeric", "timing"])
    }

    @Test func anOversizedFabricIsRefusedAtItsField() throws {
        let text = try Self.text()
        let hostile = text.replacingOccurrences(of: "\"fabric_width\":64", with: "\"fabric_width\":100000")
        #expect(hostile != text)
        let error = try #require(Self.readError(hostile))
        #expect(error.message.contains("target.fabric_width") && error.message.contains("4096"))
        // The column points at the value inside the one-line plan.
        let location = try #require(error.location)
        let offset = try #require(hostile.range(of: "\"fabric_width\":100000")).upperBound
        #expect(location.line == 1 && location.column == hostile.utf8.distance(from: hostile.startIndex, to: offset) - 6 + 1)
    }

    @Test func hugeIntegersDeepNestingAndBadShapesAreRefused() throws {
        let text = try Self.text()
        let big = text.replacingOccurrences(of: "\"batch\":1", with: "\"batch\":99999999999999")
        #expect(Self.readError(big)?.message.contains("out of range for 'batch'") == true)
        let deep = String(repeating: "[", count: 100) + String(repeating: "]", count: 100)
        #expect(Self.readError(deep)?.message.contains("nested deeper than 32") == true)
        // A matrix tensor with three dimensions.
        let reshaped = try #require(text.range(of: "\"shape\":[")).upperBound
        var bad = text
        bad.insert(contentsOf: "1,", at: reshaped)
        let error = Self.readError(bad)
        #expect(error?.message.contains("shape") == true && error?.message.contains("dimension") == true, "\(String(describing: error))")
        let tooLarge = text.replacingOccurrences(of: "\"tile_rows\":", with: "\"tile_rows\":3000000")
        #expect(Self.readError(tooLarge) != nil)
    }

    /// Regression (plan fuzz target, 2026-11-21): a tensor whose shape disagrees with its op
    /// crashed the numeric check with an index out of range.
    @Test func aTensorOfTheWrongShapeSkipsTheNumericCheck() throws {
        var plan = try PlanIO.read(path: TestPaths.fixture(Self.fixture))
        let u = try #require(plan.units.firstIndex { $0.tensors.contains { $0.orientation != .vector && $0.region != .cell } })
        let t = try #require(plan.units[u].tensors.firstIndex { $0.orientation != .vector && $0.region != .cell })
        plan.units[u].tensors[t].shape[1] += 7
        var options = Executor.Options()
        options.numeric = true
        let report = Executor.run(plan, options: options)
        #expect(!report.passed && report.numeric == nil)
        #expect(report.violations.items.contains { $0.message.contains("numeric check not run") })
        #expect(report.violations.items.contains { $0.category == .placement && $0.message.contains("its op needs") })
    }

    @Test func aHostilePlanSaturatesTheParameterCount() throws {
        var plan = try PlanIO.read(path: TestPaths.fixture(Self.fixture))
        let u = try #require(plan.units.firstIndex { !$0.tensors.isEmpty })
        plan.units[u].tensors[0].shape = [Int.max / 2, 4]
        #expect(Executor.parameters(plan) == Int.max)
    }
}
