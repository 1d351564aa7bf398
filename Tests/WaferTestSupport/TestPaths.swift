import Foundation

/// Locations of the repository's test inputs, found from this file's path so tests run from
/// any working directory.
public enum TestPaths {
    /// The package root (the folder holding Package.swift).
    public static let root: URL = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    public static func example(_ name: String) -> String {
        root.appendingPathComponent("examples/models/\(name).yaml").path
    }

    public static func fixture(_ relative: String) -> String {
        root.appendingPathComponent("Tests/Fixtures/\(relative)").path
    }

    /// True when golden files should be rewritten instead of compared (`WAFERMAP_RECORD=1`).
    public static var recording: Bool { ProcessInfo.processInfo.environment["WAFERMAP_RECORD"] == "1" }

    /// Compares `actual` with the golden file at `Tests/Fixtures/golden/NAME`, or records it.
    /// Returns nil when they match (or after recording), else a message with the first difference.
    public static func compareGolden(_ actual: String, name: String) -> String? {
        let path = fixture("golden/\(name)")
        if recording {
            try? FileManager.default.createDirectory(atPath: fixture("golden"), withIntermediateDirectories: true)
            try? actual.write(toFile: path, atomically: true, encoding: .utf8)
            return nil
        }
        guard let expected = try? String(contentsOfFile: path, encoding: .utf8) else {
            return "golden file \(path) is missing; run with WAFERMAP_RECORD=1 to create it"
        }
        if expected == actual { return nil }
        let e = expected.split(separator: "\n", omittingEmptySubsequences: false)
        let a = actual.split(separator: "\n", omittingEmptySubsequences: false)
        for index in 0..<max(e.count, a.count) {
            let el = index < e.count ? String(e[index]) : "<end of file>"
            let al = index < a.count ? String(a[index]) : "<end of output>"
            if el != al {
                return "\(name) differs at line \(index + 1):\n  expected: \(el)\n  actual:   \(al)\n(WAFERMAP_RECORD=1 re-records after a deliberate change)"
            }
        }
        return "\(name) differs"
    }
}

/// Runs the built `wafermap` executable and captures what it printed.
public enum CLI {
    public struct Output: Sendable {
        public var status: Int32
        public var stdout: String
        public var stderr: String
    }

    /// The executable SwiftPM built beside the test bundle, or `$WAFERMAP_BIN`.
    public static var executable: URL {
        if let path = ProcessInfo.processInfo.environment["WAFERMAP_BIN"] { return URL(fileURLWithPath: path) }
        var directory = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
        // The test runner may be inside the .xctest bundle (macOS) or beside it (Linux).
        for _ in 0..<4 {
            let candidate = directory.appendingPathComponent("wafermap")
            if FileManager.default.isExecutableFile(atPath: candidate.path) { return candidate }
            directory = directory.deletingLastPathComponent()
        }
        return TestPaths.root.appendingPathComponent(".build/debug/wafermap")
    }

    /// `environment` adds to (or overrides) the test's own environment. The progress heartbeat
    /// is off unless a test turns it on (`WAFERMAP_PROGRESS_AFTER`): its lines depend on the
    /// machine's speed, and tests compare stderr.
    public static func run(_ arguments: [String], in directory: URL = TestPaths.root, environment: [String: String] = [:]) throws -> Output {
        let process = Process()
        process.executableURL = executable
        process.arguments = arguments
        process.environment = ProcessInfo.processInfo.environment.merging(["WAFERMAP_PROGRESS_AFTER": "3600"].merging(environment) { _, new in new }) { _, new in new }
        process.currentDirectoryURL = directory
        let out = Pipe(), err = Pipe()
        process.standardOutput = out
        process.standardError = err
        try process.run()
        // Read both pipes to the end before waiting, so a large output cannot block the child.
        let group = DispatchGroup()
        nonisolated(unsafe) var errData = Data()
        group.enter()
        DispatchQueue.global().async {
            errData = err.fileHandleForReading.readDataToEndOfFile()
            group.leave()
        }
        let outData = out.fileHandleForReading.readDataToEndOfFile()
        group.wait()
        process.waitUntilExit()
        return Output(status: process.terminationStatus,
                      stdout: String(decoding: outData, as: UTF8.self),
                      stderr: String(decoding: errData, as: UTF8.self))
    }
}
