import Foundation
import Testing
import WaferTestSupport

/// Package.swift declares every module a target imports, project targets and package products
/// alike: SwiftPM builds an undeclared import only when some other dependency happens to pull
/// the module in, so it breaks at random when the graph changes. And the graph keeps the
/// pipeline's layering (the executor never sees the passes or the IR; the back end never sees
/// the executor). Reads the manifest and every source file; no build needed.
@Suite struct PackageGraphTests {
    struct Target {
        var name: String
        var directory: String
        /// Target names and package product names (a product's module has its name).
        var dependencies: Set<String>
    }

    /// Modules that come with the toolchain and need no declaration.
    static let toolchainModules: Set<String> = ["Foundation", "FoundationEssentials", "FoundationXML", "Dispatch", "Glibc", "Musl", "Darwin",
                                                "Synchronization", "Testing", "XCTest", "PackageDescription"]

    /// The manifest's targets: name, source folder and declared dependencies (target names and
    /// product names), parsed from the text of each `.target(`, `.executableTarget(`,
    /// `.testTarget(` and `.systemLibrary(` entry.
    static func targets(_ manifest: String) throws -> [Target] {
        let kinds = [".target(": "Sources", ".executableTarget(": "Sources", ".testTarget(": "Tests", ".systemLibrary(": "Sources"]
        var starts: [(index: String.Index, folder: String)] = []
        for (marker, folder) in kinds {
            var range = manifest.startIndex..<manifest.endIndex
            while let hit = manifest.range(of: marker, range: range) {
                starts.append((hit.lowerBound, folder))
                range = hit.upperBound..<manifest.endIndex
            }
        }
        starts.sort { $0.index < $1.index }
        let quoted = try Regex(#""([^"]+)""#)
        var result: [Target] = []
        for (i, start) in starts.enumerated() {
            let end = i + 1 < starts.count ? starts[i + 1].index : manifest.endIndex
            let chunk = String(manifest[start.index..<end])
            let nameMatch = try #require(chunk.firstMatch(of: try Regex(#"name: "([^"]+)""#)))
            let name = try #require(nameMatch.output[1].substring.map(String.init))
            var directory = "\(start.folder)/\(name)"
            if let path = chunk.firstMatch(of: try Regex(#"path: "([^"]+)""#)), let p = path.output[1].substring { directory = String(p) }
            var dependencies: Set<String> = []
            if let open = chunk.range(of: "dependencies: [") {
                var depth = 1, index = open.upperBound
                while index < chunk.endIndex, depth > 0 {
                    if chunk[index] == "[" { depth += 1 }
                    if chunk[index] == "]" { depth -= 1 }
                    index = chunk.index(after: index)
                }
                var list = String(chunk[open.upperBound..<index])
                // `.product(name: "P", package: "p")` declares product P; the package name is no module.
                let product = try Regex(#"\.product\(name: "([^"]+)", package: "[^"]+"\)"#)
                for m in list.matches(of: product) { if let s = m.output[1].substring { dependencies.insert(String(s)) } }
                list = list.replacing(product, with: "")
                for m in list.matches(of: quoted) { if let s = m.output[1].substring { dependencies.insert(String(s)) } }
            }
            result.append(Target(name: name, directory: directory, dependencies: dependencies))
        }
        return result
    }

    /// The modules a Swift file imports (`import X`, `@testable import X`, `import struct X.Y`,
    /// `@preconcurrency import X`), at the start of a line.
    static func imports(_ text: String) -> Set<String> {
        var modules: Set<String> = []
        for line in text.split(separator: "\n") {
            var words = line.split(separator: " ").map(String.init)
            while let first = words.first, first.hasPrefix("@") { words.removeFirst() }
            guard words.first == "import", words.count >= 2 else { continue }
            let kinds: Set<String> = ["struct", "class", "enum", "protocol", "func", "var", "let", "typealias"]
            let path = kinds.contains(words[1]) && words.count >= 3 ? words[2] : words[1]
            if let module = path.split(separator: ".").first { modules.insert(String(module)) }
        }
        return modules
    }

    @Test func everyImportedProjectModuleIsDeclared() throws {
        let root = TestPaths.root
        let manifest = try String(contentsOf: root.appendingPathComponent("Package.swift"), encoding: .utf8)
        let targets = try Self.targets(manifest)
        let names = Set(targets.map(\.name))
        // The parse found the pipeline's targets and their folders.
        #expect(names.isSuperset(of: ["WaferSupport", "WaferMap", "wafermap", "WaferExec", "WaferMapTests", "WaferTestSupport"]))
        #expect(targets.first { $0.name == "WaferExec" }?.dependencies == ["WaferPlan", "WaferSupport", "HeapModule"])
        #expect(targets.first { $0.name == "WaferTestSupport" }?.directory == "Tests/WaferTestSupport")
        let products = Set(targets.flatMap(\.dependencies)).subtracting(names)
        #expect(products.isSuperset(of: ["ArgumentParser", "HeapModule"]))
        var checkedFiles = 0
        for target in targets {
            let directory = root.appendingPathComponent(target.directory)
            guard let enumerator = FileManager.default.enumerator(atPath: directory.path) else { continue }
            for case let file as String in enumerator where file.hasSuffix(".swift") {
                let text = try String(contentsOf: directory.appendingPathComponent(file), encoding: .utf8)
                checkedFiles += 1
                let missing = Self.imports(text).filter { $0 != target.name && !target.dependencies.contains($0) && !Self.toolchainModules.contains($0) }
                #expect(missing.isEmpty, "\(target.directory)/\(file) imports \(missing.sorted()), which Package.swift does not list among \(target.name)'s dependencies")
            }
        }
        #expect(checkedFiles > 100)
    }

    /// Every target `name` reaches through its declared dependencies. O(targets + edges).
    static func closure(of name: String, in targets: [Target]) -> Set<String> {
        let byName = Dictionary(targets.map { ($0.name, $0) }, uniquingKeysWith: { a, _ in a })
        var seen: Set<String> = [], stack = Array(byName[name]?.dependencies ?? [])
        while let next = stack.popLast() {
            guard seen.insert(next).inserted else { continue }
            stack += byName[next]?.dependencies ?? []
        }
        return seen
    }

    /// The layering docs/architecture.md describes, over the transitive graph.
    @Test func theLayersDependOnlyDownward() throws {
        let manifest = try String(contentsOf: TestPaths.root.appendingPathComponent("Package.swift"), encoding: .utf8)
        let targets = try Self.targets(manifest)
        func reaches(_ a: String) -> Set<String> { Self.closure(of: a, in: targets) }
        // The executor checks plans with its own code: no passes, IR, back end or model.
        #expect(reaches("WaferExec").isDisjoint(with: ["WaferPasses", "WaferIR", "WaferFrontend", "WaferBackend", "WaferPerf", "WaferTarget"]))
        // The back end writes plans without the executor that checks them, or the driver.
        #expect(reaches("WaferBackend").isDisjoint(with: ["WaferExec", "WaferMap", "WaferReport", "WaferFrontend"]))
        // The performance model reads a scheduled graph: no plans, no executor, no back end.
        #expect(reaches("WaferPerf").isDisjoint(with: ["WaferExec", "WaferPlan", "WaferBackend", "WaferMap", "WaferReport", "WaferFrontend"]))
        // Reports render what the pipeline and the executor return; they never drive either.
        #expect(reaches("WaferReport").isDisjoint(with: ["WaferMap", "WaferBackend", "WaferFrontend"]))
        // Only the command line, the studies (many driver runs behind one answer) and the tests use the driver; no target reaches itself.
        for t in targets where t.dependencies.contains("WaferMap") { #expect(["wafermap", "WaferStudy"].contains(t.name) || t.directory.hasPrefix("Tests/"), "\(t.name)") }
        for t in targets { #expect(!reaches(t.name).contains(t.name), "\(t.name) depends on itself") }
    }

    @Test func theParsersSeeWhatTheyShould() throws {
        let manifest = """
        .target(name: "A"),
        .target(name: "B", dependencies: ["A", .product(name: "P", package: "p")]),
        .testTarget(name: "BTests", dependencies: ["B"], path: "Tests/X"),
        """
        let targets = try Self.targets(manifest)
        #expect(targets.map(\.name) == ["A", "B", "BTests"])
        #expect(targets[0].dependencies.isEmpty)
        #expect(targets[1].dependencies == ["A", "P"] && targets[1].directory == "Sources/B")
        #expect(targets[2].directory == "Tests/X")
        #expect(Self.imports("import A\n@testable import B\nimport struct C.D\n// import E\n  let x = 1\n") == ["A", "B", "C"])
    }
}
