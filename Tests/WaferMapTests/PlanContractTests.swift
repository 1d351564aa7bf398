import Foundation
import Testing
import WaferExec
import WaferFrontend
import WaferIR
import WaferBackend
import WaferMap
import WaferPlan
import WaferTestSupport

/// The builder -> reader contract: a plan built from IR through the pipeline `compile` uses
/// (`Driver.compile`: front end, every pass, `PlanBuilder`, `PlanIO.write`) reads back
/// (`PlanIO.read`) equal to the plan built and byte-stable; it is accepted by `PlanLimits` and
/// `PlanCheck`, matches docs/plan.schema.json, holds every op and weight of the IR exactly once
/// with its shape and format, and the executor runs it and agrees with the dense reference.
/// The fixtures (Tests/Fixtures/contract/*.yaml, plus examples/models/tiny.yaml) are small
/// synthetic models that together cover every op kind and variant the IR has;
/// `everyOpKindHasAFixture` fails when one is not covered.
@Suite struct PlanContractTests {
    /// One compile: a fixture on a small target, on the fewest wafers or on a fixed count.
    struct Case: Sendable, CustomTestStringConvertible {
        var model: String
        var target: String
        var wafers: Int?
        var testDescription: String {
            "\(URL(fileURLWithPath: model).lastPathComponent) on \(target), \(wafers.map { "\($0) wafers" } ?? "auto wafers")"
        }
    }

    /// The contract fixtures (found from the folder, so a new one is covered) and tiny.
    static let models: [String] = {
        let dir = TestPaths.root.appendingPathComponent("Tests/Fixtures/contract")
        let names = (try? FileManager.default.contentsOfDirectory(atPath: dir.path)) ?? []
        return names.filter { $0.hasSuffix(".yaml") }.sorted().map { "Tests/Fixtures/contract/\($0)" } + ["examples/models/tiny.yaml"]
    }()

    /// Every model on both small fabrics, and split over two wafers of small32 (wafer links,
    /// hand-offs across wafers).
    static let cases: [Case] = models.flatMap { model in
        [Case(model: model, target: "small64", wafers: nil), Case(model: model, target: "small32", wafers: nil),
         Case(model: model, target: "small32", wafers: 2)]
    }

    func scratch() throws -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("wafermap-contract-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }

    static func compile(_ model: String, target: String, wafers: Int?, to path: String) throws -> CompileResult {
        var count = CountRequest(modelPath: model.hasPrefix("/") ? model : TestPaths.root.appendingPathComponent(model).path)
        count.target = target
        count.deployment.contextTokens = 64
        if let wafers { count.deployment.wafers = .exactly(wafers) }
        var request = CompileRequest(count: count)
        request.planPath = path
        return try Driver.compile(request)
    }

    // MARK: - The contract

    @Test(arguments: cases)
    func aBuiltPlanReadsBackEqualAndChecks(_ c: Case) throws {
        let dir = try scratch()
        defer { try? FileManager.default.removeItem(at: dir) }
        let path = dir.appendingPathComponent("contract.plan.json").path
        let result = try Self.compile(c.model, target: c.target, wafers: c.wafers, to: path)
        let built = result.plan
        let graph = try #require(result.report.results.first?.graph)
        if let wafers = c.wafers { #expect(built.wafers.count == wafers) }

        // Write -> read: equal, and the same bytes again when re-encoded.
        let read = try PlanIO.read(path: path)
        #expect(read == built, "\(c): the plan read back differs from the plan built")
        #expect(try PlanIO.encode(read) == Data(contentsOf: URL(fileURLWithPath: path)))
        #expect(result.problems.isEmpty, "\(result.problems)")
        // The reader's limits (PlanIO.read applies them; checked directly on both sides too).
        #expect(PlanLimits.violation(built).map { "\($0.0) at \($0.1)" } == nil)
        #expect(PlanLimits.violation(read).map { "\($0.0) at \($0.1)" } == nil)
        #expect(PlanCheck.problems(read) == [])
        // The documented format (docs/plan.schema.json) holds the file.
        let schemaData = try Data(contentsOf: TestPaths.root.appendingPathComponent("docs/plan.schema.json"))
        let schema = try #require(try JSONSerialization.jsonObject(with: schemaData) as? [String: Any])
        #expect(JSONSchemaValidator(schema: schema).errors(try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: path)))) == [])

        // What the IR holds arrives in the plan.
        #expect(Self.contentProblems(graph: graph, plan: read) == [], "\(c)")

        // The executor runs what was read (structure, full numeric run, timing).
        #expect(Self.tiedHeadWafer(read).map { $0.head == $0.embedding } ?? true, "\(c): a tied head away from its weight")
        var options = Executor.Options()
        options.numeric = true
        options.timing = true
        let report = Executor.run(read, options: options)
        #expect(report.violations.isEmpty, "\(c): \(report.violations.items.prefix(5))")
        #expect(report.numeric?.passed == true && report.numeric?.mode == "full", "\(c): \(String(describing: report.numeric))")
        #expect((report.timing?.tokensPerS ?? 0) > 0)
    }

    /// The wafers of the tied head and of the embedding it reads, when the plan has a tied head.
    static func tiedHeadWafer(_ plan: Plan) -> (head: Int, embedding: Int)? {
        guard let head = plan.units.first(where: { $0.ops.contains { $0.tiedWeight != nil } }),
              let weight = head.ops.first(where: { $0.tiedWeight != nil })?.tiedWeight,
              let embedding = plan.units.first(where: { u in u.tensors.contains { "\($0.op).\($0.name)" == weight } }) else { return nil }
        return (head.wafer, embedding.wafer)
    }

    /// Differences between the IR and the plan: every op appears (as a plan op with its kind,
    /// layer, activation and tied weight), every weight exactly once with its shape and format,
    /// stacked expert weights once per expert (the units' expert ranges tile 0..<experts), and
    /// nothing else. Empty when the plan holds exactly the graph.
    static func contentProblems(graph: Graph, plan: Plan) -> [String] {
        var problems: [String] = []
        var planOps: [String: PlanOp] = [:]
        for unit in plan.units {
            for op in unit.ops {
                if let seen = planOps[op.name], seen != op { problems.append("op \(op.name) differs between units") }
                planOps[op.name] = op
            }
        }
        var slotTensors: [String: [PlanTensor]] = [:]
        var expertRanges: [String: [(lower: Int, upper: Int)]] = [:]
        for unit in plan.units {
            for t in unit.tensors {
                slotTensors["\(t.op).\(t.name)", default: []].append(t)
                expertRanges["\(t.op).\(t.name)", default: []].append(unit.experts.count == 2 ? (unit.experts[0], unit.experts[1]) : (0, 0))
            }
        }
        var expected = Set<String>()
        for op in graph.ops {
            if let p = planOps[op.name] {
                var activation: String?
                if case let .mlp(a) = op.kind { activation = a.activation.rawValue }
                if case let .moe(a) = op.kind { activation = a.activation.rawValue }
                if p.kind.rawValue != op.kind.mnemonic || p.layer != (op.layer ?? -1) || p.activation?.rawValue != activation || p.tiedWeight != op.tiedWeight {
                    problems.append("op \(op.name): plan has \(p.kind) layer \(p.layer) \(p.activation?.rawValue ?? "-") \(p.tiedWeight ?? "-")")
                }
            } else {
                problems.append("op \(op.name) (\(op.kind.mnemonic)) is not in the plan")
            }
            for w in op.weights {
                let name = "\(op.name).\(w.name)"
                expected.insert(name)
                let copies = slotTensors[name] ?? []
                if copies.isEmpty { problems.append("\(name) is not in the plan"); continue }
                for t in copies where t.shape != w.shape || t.format != w.format.description {
                    problems.append("\(name): plan has \(t.shape) \(t.format), the IR \(w.shape) \(w.format.description)")
                }
                if w.expertStacked {
                    let ranges = (expertRanges[name] ?? []).sorted { $0.lower < $1.lower }
                    var next = 0
                    for r in ranges {
                        if r.lower != next { problems.append("\(name): experts \(next)..<\(r.lower) missing or held twice") }
                        next = r.upper
                    }
                    if next != (w.shape.first ?? 0) {
                        problems.append("\(name): the units' expert ranges end at \(next), not \(w.shape.first ?? 0)")
                    }
                } else if copies.count != 1 {
                    problems.append("\(name) is held by \(copies.count) units")
                }
            }
        }
        let extra = Set(slotTensors.keys).subtracting(expected)
        if !extra.isEmpty { problems.append("tensors the IR does not have: \(extra.sorted())") }
        let extraOps = Set(planOps.keys).subtracting(graph.ops.map(\.name))
        if !extraOps.isEmpty { problems.append("ops the IR does not have: \(extraOps.sorted())") }
        return problems
    }

    /// The content check is not vacuous: a dropped weight, a weight in another format, an
    /// expert slice held twice and an op the IR does not have are each found.
    @Test func theContentCheckFindsWhatDoesNotMatch() throws {
        let dir = try scratch()
        defer { try? FileManager.default.removeItem(at: dir) }
        let result = try Self.compile("Tests/Fixtures/contract/moe-stacked.yaml", target: "small64", wafers: nil,
                                      to: dir.appendingPathComponent("moe.plan.json").path)
        let graph = try #require(result.report.results.first?.graph)
        let plan = try PlanIO.read(path: result.planPath)
        #expect(Self.contentProblems(graph: graph, plan: plan) == [])

        var dropped = plan
        let u = try #require(dropped.units.firstIndex { $0.tensors.contains { $0.name == "q_proj.weight" } })
        let q = try #require(dropped.units[u].tensors.firstIndex { $0.name == "q_proj.weight" })
        let name = "\(dropped.units[u].tensors[q].op).q_proj.weight"
        dropped.units[u].tensors.remove(at: q)
        #expect(Self.contentProblems(graph: graph, plan: dropped).contains("\(name) is not in the plan"))

        var reformatted = plan
        reformatted.units[u].tensors[q].format = "fp8_e4m3"
        #expect(Self.contentProblems(graph: graph, plan: reformatted).contains { $0.hasPrefix("\(name): plan has") })

        var twice = plan
        let e = try #require(twice.units.firstIndex { $0.experts.count == 2 && $0.experts[0] < $0.experts[1] })
        twice.units.insert(twice.units[e], at: e + 1)
        #expect(Self.contentProblems(graph: graph, plan: twice).contains { $0.contains("missing or held twice") })

        var extra = plan
        extra.units[0].ops.append(PlanOp(name: "phantom", kind: .mlp, layer: 0, attributes: [:], activation: .silu, tiedWeight: nil))
        #expect(Self.contentProblems(graph: graph, plan: extra).contains("ops the IR does not have: [\"phantom\"]"))
    }

    // MARK: - Coverage of the IR's op kinds

    /// The variant of an op kind a fixture exercises. `OpKind` carries associated values and is
    /// not `CaseIterable`; this switch has no `default`, so a new case (or norm kind) stops the
    /// test target compiling until it is named here and a fixture covers it.
    static func features(_ kind: OpKind) -> [String] {
        switch kind {
        case .embedding: return ["embedding"]
        case let .norm(a):
            switch a.kind {
            case .rmsnorm: return ["rmsnorm"]
            case .layernorm: return [a.bias ? "layernorm with bias" : "layernorm without bias"]
            }
        case let .attention(a):
            var f = [a.kvHeads < a.heads ? "attention (grouped-query)" : "attention (multi-head)"]
            if a.qkNorm { f.append("attention q/k norm") }
            if a.qkvBias { f.append("attention qkv bias") }
            if a.oBias { f.append("attention o bias") }
            if a.sinks { f.append("attention sinks") }
            f.append(a.slidingWindow == nil ? "attention full window" : "attention sliding window")
            return f
        case let .mla(a): return [a.qLoraRank == nil ? "mla full q_proj" : "mla q_lora"]
        case let .mlp(a):
            return [a.gated ? "mlp gated" : "mlp ungated", "activation \(a.activation.rawValue)"] + (a.bias ? ["mlp bias"] : [])
        case let .moe(a):
            var f = [a.expertBias ? "moe stacked experts with biases" : "moe stacked experts without biases", "activation \(a.activation.rawValue)",
                     a.gated ? "moe gated" : "moe ungated"]
            if a.routerBias { f.append("moe router bias") }
            if a.sharedExperts > 0 { f.append("moe shared experts") }
            return f
        case .residualAdd: return ["residual add"]
        case let .lmHead(a): return [a.tied ? "lm_head tied" : "lm_head untied"] + (a.bias ? ["lm_head bias"] : [])
        }
    }

    /// Every variant some fixture must cover: the op kinds and their options, every activation,
    /// and the unmapped modules (a multi-token-prediction module, a vision tower).
    static let required: Set<String> = Set([
        "embedding", "rmsnorm", "layernorm with bias", "layernorm without bias",
        "attention (grouped-query)", "attention (multi-head)", "attention q/k norm", "attention qkv bias", "attention o bias",
        "attention sinks", "attention full window", "attention sliding window",
        "mla q_lora", "mla full q_proj", "mlp gated", "mlp ungated", "mlp bias",
        "moe stacked experts with biases", "moe stacked experts without biases", "moe gated", "moe ungated", "moe router bias",
        "moe shared experts", "residual add", "lm_head tied", "lm_head untied", "lm_head bias",
        "unmapped mtp", "unmapped vision tower",
    ] + Activation.allCases.map { "activation \($0.rawValue)" })

    static func features(of graph: Graph) -> Set<String> {
        var f = Set(graph.ops.flatMap { features($0.kind) })
        for m in graph.unmappedModules {
            if m.name.contains("mtp") { f.insert("unmapped mtp") }
            if m.name.contains("vision") { f.insert("unmapped vision tower") }
        }
        return f
    }

    @Test func everyOpKindHasAFixture() throws {
        var coverage: [String: [String]] = [:]
        for model in Self.models {
            let graph = try ModelLoader.load(path: TestPaths.root.appendingPathComponent(model).path)
            for feature in Self.features(of: graph) { coverage[feature, default: []].append(URL(fileURLWithPath: model).lastPathComponent) }
        }
        let missing = Self.required.subtracting(coverage.keys)
        #expect(missing.isEmpty, "no contract fixture covers: \(missing.sorted())")
        // Every variant the features name is one the required list knows (a new one is added there).
        #expect(Set(coverage.keys).subtracting(Self.required).isEmpty, "\(Set(coverage.keys).subtracting(Self.required).sorted())")
        #expect(Self.models.count >= 7)
    }

    // MARK: - Unmapped modules

    /// A model's unmapped modules (MTP, a vision tower) are counted, never mapped: the plan is
    /// the plan of the same model without them, apart from the model's fingerprint.
    @Test(arguments: ["Tests/Fixtures/contract/mla-mtp.yaml", "Tests/Fixtures/contract/vision-int4.yaml"])
    func unmappedModulesAreNotMapped(_ model: String) throws {
        let dir = try scratch()
        defer { try? FileManager.default.removeItem(at: dir) }
        let text = try String(contentsOfFile: TestPaths.root.appendingPathComponent(model).path, encoding: .utf8)
        // Drop the unmapped_modules block: from its key to the next top-level key.
        var lines: [Substring] = []
        var skipping = false
        for line in text.split(separator: "\n", omittingEmptySubsequences: false) {
            if line.hasPrefix("unmapped_modules:") { skipping = true; continue }
            if skipping && !line.hasPrefix(" ") && !line.hasPrefix("#") { skipping = false }
            if !skipping { lines.append(line) }
        }
        let bare = dir.appendingPathComponent("bare.yaml").path
        try lines.joined(separator: "\n").write(toFile: bare, atomically: true, encoding: .utf8)

        let with = try Self.compile(model, target: "small64", wafers: nil, to: dir.appendingPathComponent("with.plan.json").path)
        let without = try Self.compile(bare, target: "small64", wafers: nil, to: dir.appendingPathComponent("without.plan.json").path)
        let graph = try #require(with.report.results.first?.graph)
        let bareGraph = try #require(without.report.results.first?.graph)
        #expect(graph.unmappedModules.count == 1 && bareGraph.unmappedModules.isEmpty)
        let read = try PlanIO.read(path: with.planPath)
        #expect(read == with.plan)
        #expect(read.units == without.plan.units && read.wafers == without.plan.wafers && read.routing == without.plan.routing)
        #expect(read.schedule == without.plan.schedule && read.summary == without.plan.summary)
        #expect(read.inputs.modelSha256 != without.plan.inputs.modelSha256)
        // The weights the plan counts are the IR's, without the module's bytes.
        let irBytes = graph.ops.reduce(0) { $0 + $1.weights.reduce(0) { $0 + $1.bytes } }
        #expect(read.summary.weightBytes == irBytes)
    }
}
