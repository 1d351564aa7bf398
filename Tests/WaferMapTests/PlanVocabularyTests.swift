import Foundation
import Testing
import WaferPlan
import WaferTestSupport

/// The plan format's closed vocabularies are stated in three places a reader meets: the Swift
/// enums the writer and reader use, docs/plan.schema.json, and docs/plan-format.md. They must
/// list the same words.
@Suite struct PlanVocabularyTests {
    /// Every `enum` list the schema gives for a property named `name`, wherever it appears.
    static func schemaEnums(_ name: String) throws -> [[String]] {
        let data = try Data(contentsOf: TestPaths.root.appendingPathComponent("docs/plan.schema.json"))
        let schema = try JSONSerialization.jsonObject(with: data)
        var found: [[String]] = []
        func walk(_ node: Any) {
            if let object = node as? [String: Any] {
                if let properties = object["properties"] as? [String: Any], let property = properties[name] as? [String: Any] {
                    if let list = property["enum"] as? [String] { found.append(list) }
                    if let items = property["items"] as? [String: Any], let list = items["enum"] as? [String] { found.append(list) }
                }
                object.values.forEach(walk)
            } else if let array = node as? [Any] {
                array.forEach(walk)
            }
        }
        walk(schema)
        return found
    }

    static func words<V: PlanVocabulary>(_: V.Type) -> [String] { V.allCases.map(\.rawValue) }

    @Test func theSchemaListsTheWordsTheCodeKnows() throws {
        let expectations: [(String, [String])] = [
            ("orientation", Self.words(PlanOrientation.self)), ("region", Self.words(PlanRegion.self)),
            ("axis", Self.words(PlanAxis.self)), ("mode", Self.words(PlanReductionMode.self)),
            ("activation", Self.words(PlanActivation.self)),
        ]
        for (property, words) in expectations {
            let lists = try Self.schemaEnums(property)
            #expect(!lists.isEmpty, "the schema has no enum for \(property)")
            for list in lists { #expect(Set(list) == Set(words), "\(property): schema \(list), code \(words)") }
        }
        // Exception routes are strings (format 4): their pattern names every owner kind and role.
        let root = try JSONSerialization.jsonObject(with: Data(contentsOf: TestPaths.root.appendingPathComponent("docs/plan.schema.json"))) as? [String: Any]
        let routing = (root?["properties"] as? [String: Any])?["routing"] as? [String: Any]
        let exceptions = (routing?["properties"] as? [String: Any])?["exceptions"] as? [String: Any]
        let pattern = (exceptions?["items"] as? [String: Any])?["pattern"] as? String ?? ""
        for word in Self.words(PlanOwnerKind.self) { #expect(pattern.contains("(class|bundle)") && pattern.contains(word), "route pattern lacks \(word)") }
        for word in Self.words(PlanRouteRole.self) { #expect(pattern.contains("(stream|leader|broadcast|lane)") && pattern.contains(word), "route pattern lacks \(word)") }
        #expect(Self.words(PlanRouteRole.self) == ["stream", "leader", "broadcast", "lane"] && Self.words(PlanOwnerKind.self) == ["class", "bundle"])
        // `kind` names three vocabularies: ops, flows and phases.
        let kinds = try Self.schemaEnums("kind").map { Set($0) }
        for words in [Self.words(PlanOpKind.self), Self.words(PlanFlowKind.self), Self.words(PlanPhaseKind.self)] {
            #expect(kinds.contains(Set(words)), "no schema enum lists \(words)")
        }
    }

    @Test func thePlanFormatDocNamesEveryWord() throws {
        let doc = try String(contentsOf: TestPaths.root.appendingPathComponent("docs/plan-format.md"), encoding: .utf8)
        let all = Self.words(PlanOrientation.self) + Self.words(PlanRegion.self) + Self.words(PlanAxis.self) + Self.words(PlanReductionMode.self)
            + Self.words(PlanOwnerKind.self) + Self.words(PlanRouteRole.self) + Self.words(PlanFlowKind.self) + Self.words(PlanPhaseKind.self)
            + Self.words(PlanOpKind.self) + Self.words(PlanActivation.self)
        for word in all { #expect(doc.contains("`\(word)`"), "docs/plan-format.md does not name `\(word)`") }
    }

    @Test func theRankRuleCoversEveryOrientationAndRegion() {
        #expect(planTensorRank(orientation: .vector, region: .slot) == 1)
        #expect(planTensorRank(orientation: .vector, region: .cell) == 2)   // gpt-oss's stacked expert biases [experts, out]
        #expect(planTensorRank(orientation: .inRows, region: .slot) == 2)
        #expect(planTensorRank(orientation: .inCols, region: .cell) == 3)
    }
}
