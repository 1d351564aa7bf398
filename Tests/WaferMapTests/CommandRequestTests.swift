import Testing
import WaferMap
import WaferStudy
import WaferSupport
import WaferTestSupport

/// The command line's flag rules, run in-process through the library (the executable only
/// declares flags and calls these): each bad value is refused with a message naming its flag
/// and the value given; good values become the request's fields.
@Suite struct CommandRequestTests {
    static let model = TestPaths.example("tiny")

    func refusal(_ body: () throws(DiagnosticError) -> Void) -> String? {
        do { try body() } catch { return error.description }
        return nil
    }

    @Test func deploymentArgumentsBecomeTheRequest() throws {
        var a = DeploymentArguments()
        a.precision = "fp8, int4"
        a.context = 4096
        a.batch = 3
        a.kvPrecision = "fp8"
        a.wafers = "5"
        a.slot = "12x7"
        a.prompt = 100
        a.defectRate = 0.01
        a.seed = 9
        let request = try a.countRequest(model: Self.model)
        #expect(request.modelPath == Self.model)
        #expect(request.precisions.count == 2)
        #expect(request.deployment.contextTokens == a.context && request.deployment.batch == a.batch && request.deployment.promptTokens == a.prompt)
        #expect(request.deployment.kvElement.rawValue == "fp8_e4m3")
        #expect(request.deployment.wafers == .exactly(5))
        #expect(request.deployment.slot?.width == 12 && request.deployment.slot?.height == 7)
        guard case let .generate(rate, seed, clustered) = request.defects else { Issue.record("no generated defects"); return }
        #expect(rate == a.defectRate && seed == a.seed && clustered == a.clustered)
    }

    @Test(arguments: [
        ("kvPrecision", "int8", "--kv-precision"), ("wafers", "many", "--wafers"), ("slot", "0x3", "--slot"),
        ("precision", "fp9", "--precision"), ("precision", "fp8,,bf16", "--precision"),
    ])
    func aBadValueIsRefusedNamingItsFlag(_ field: String, _ value: String, _ flag: String) {
        var a = DeploymentArguments()
        switch field {
        case "kvPrecision": a.kvPrecision = value
        case "wafers": a.wafers = value
        case "slot": a.slot = value
        default: a.precision = value
        }
        let message = refusal { () throws(DiagnosticError) in _ = try a.countRequest(model: Self.model) }
        #expect(message?.contains(flag) == true, "\(String(describing: message))")
    }

    @Test func longListsPromptsAndDefectSourcesAreChecked() {
        var a = DeploymentArguments()
        a.precision = Array(repeating: "bf16", count: DeploymentArguments.maxPrecisions + 1).joined(separator: ",")
        #expect(refusal { () throws(DiagnosticError) in _ = try a.countRequest(model: Self.model) }?.contains("\(DeploymentArguments.maxPrecisions + 1) formats") == true)
        a = DeploymentArguments()
        a.prompt = a.context + 1
        #expect(refusal { () throws(DiagnosticError) in _ = try a.countRequest(model: Self.model) }?.contains("--prompt") == true)
        a = DeploymentArguments()
        a.defects = "map.yaml"; a.defectRate = 0.1
        #expect(refusal { () throws(DiagnosticError) in _ = try a.countRequest(model: Self.model) }?.contains("not both") == true)
        // bench's default defects apply only when none are given.
        #expect(DeploymentArguments().withBenchmarkDefects().defectRate != nil)
        #expect(a.withBenchmarkDefects().defectRate == a.defectRate)
    }

    @Test func outputFormatsAndCheckOptions() throws {
        #expect(try OutputFormat(flag: "json") == .json)
        #expect(refusal { () throws(DiagnosticError) in _ = try OutputFormat(flag: "yaml") }?.contains("'yaml'") == true)
        for steps in [0, 4097] {
            let message = refusal { () throws(DiagnosticError) in
                _ = try CheckRequest(planPath: "p", defectsPath: nil, killPEs: [], faultRate: nil, numeric: false, sample: nil, steps: steps, timing: false, seed: 1)
            }
            #expect(message?.contains("--steps \(steps)") == true)
        }
        let sampled = try CheckRequest(planPath: "p", defectsPath: nil, killPEs: [], faultRate: nil, numeric: false, sample: 2, steps: 4, timing: true, seed: 5)
        #expect(sampled.options.numeric && sampled.options.sample == 2 && sampled.options.timing && sampled.options.seed == 5)
    }

    @Test func repairAndSweepFlagsAreChecked() throws {
        #expect(RepairRequest.flagProblem(defects: "a", addDefects: nil, allowRevive: true) == nil)
        #expect(RepairRequest.flagProblem(defects: nil, addDefects: nil, allowRevive: false) != nil)
        #expect(RepairRequest.flagProblem(defects: "a", addDefects: "b", allowRevive: false) != nil)
        #expect(RepairRequest.flagProblem(defects: nil, addDefects: "b", allowRevive: true)?.contains("--allow-revive") == true)
        let added = RepairRequest(planPath: "p", defects: nil, addDefects: "new.yaml", allowRevive: false, outputPath: "o", modelPath: nil, fullCheck: true)
        #expect(added.addDefects && added.defectsPath == "new.yaml" && added.fullCheck)
        let count = try DeploymentArguments().countRequest(model: Self.model)
        let sweep = try SweepRequest(count: count, fixedSlot: nil, slots: "8, 6x4", extraWafers: 2, top: 5)
        #expect(sweep.slots.count == 2 && sweep.extraWafers == 2 && sweep.top == 5)
        #expect(refusal { () throws(DiagnosticError) in _ = try SweepRequest(count: count, fixedSlot: "8", slots: nil, extraWafers: 0, top: 1) }?.contains("--slots") == true)
        #expect(refusal { () throws(DiagnosticError) in _ = try SweepRequest(count: count, fixedSlot: nil, slots: "big", extraWafers: 0, top: 1) }?.contains("'big'") == true)
    }
}
