import Foundation
import Testing
import WaferMap
import WaferPasses
import WaferSupport
import WaferTestSupport

/// docs/diagnostics.md against the failure enums: every case documented with its stage's enum
/// and its exit status, nothing documented that no case has, and no ID used twice.
@Suite struct DiagnosticCatalogueTests {
    /// The rows of the catalogue's tables: ID -> (case, exit status).
    func documented() throws -> [String: (kind: String, status: Int32)] {
        let text = try String(contentsOf: TestPaths.root.appendingPathComponent("docs/diagnostics.md"), encoding: .utf8)
        var rows: [String: (kind: String, status: Int32)] = [:]
        for line in text.split(separator: "\n") where line.hasPrefix("| `") {
            let cells = line.split(separator: "|").map { $0.trimmingCharacters(in: .whitespaces) }
            let id = cells[0].trimmingCharacters(in: CharacterSet(charactersIn: "`"))
            #expect(rows[id] == nil, "\(id) is documented twice")
            rows[id] = (cells[1].trimmingCharacters(in: CharacterSet(charactersIn: "`")), Int32(cells[2]) ?? -1)
        }
        return rows
    }

    func status(_ fault: Fault) -> Int32 {
        switch fault {
        case .input: ExitStatus.inputError
        case .usage: ExitStatus.usage
        case .bug: ExitStatus.internalError
        }
    }

    @Test func everyCaseIsDocumentedWithItsExitStatus() throws {
        let rows = try documented()
        for id in DiagnosticCatalogue.ids {
            guard let row = rows[id.name] else {
                Issue.record("\(id.name) is not in docs/diagnostics.md")
                continue
            }
            #expect(row.status == status(id.fault), "\(id.name): the catalogue says exit \(row.status)")
            #expect(ExitStatus.of(DiagnosticCatalogue.error(named: id.name, "m")!) == status(id.fault))
        }
        let known = Set(DiagnosticCatalogue.ids.map(\.name))
        #expect(rows.keys.filter { !known.contains($0) }.sorted() == [], "documented IDs that no case has")
        #expect(rows["tile.capacity"]?.kind == "PassFailure.tileCapacity")
    }

    @Test func idsAreUniqueAcrossStagesAndEachStageHasOneKind() {
        let names = DiagnosticCatalogue.ids.map(\.name)
        #expect(Set(names).count == names.count, "duplicate IDs: \(Dictionary(grouping: names) { $0 }.filter { $0.value.count > 1 }.keys.sorted())")
        let stages = DiagnosticCatalogue.kinds.map { $0.stage }
        #expect(Set(stages).count == stages.count && Set(stages) == Set(DiagnosticStage.allCases))
        #expect(names.count > 100 && names.allSatisfy { $0.contains(".") && $0 == $0.lowercased() })
    }

    @Test func anIDNamesExactlyOneCase() {
        #expect(DiagnosticCatalogue.error(named: "route.colors", "m")?.contains(PassFailure.routeColors) == true)
        #expect(DiagnosticCatalogue.error(named: "route.colour", "m") == nil)
    }
}
