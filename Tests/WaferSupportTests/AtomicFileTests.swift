import Foundation
import Testing
import WaferSupport

/// Outputs are replaced whole or not at all, and no temporary file is left behind.
@Suite struct AtomicFileTests {
    static func scratch() throws -> URL {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("wafermap-atomic-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        return dir
    }

    @Test func replacesWholeAndLeavesNoTemporaryFile() throws {
        let dir = try Self.scratch()
        defer { try? FileManager.default.removeItem(at: dir) }
        let path = dir.appendingPathComponent("out.json").path
        try AtomicFile.write(String(repeating: "a", count: 100_000), to: path)
        try AtomicFile.write("short\n", to: path)
        #expect(try String(contentsOfFile: path, encoding: .utf8) == "short\n")
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir.path) == ["out.json"])
    }

    @Test func aFailedWriteLeavesTheOldFileAndNothingElse() throws {
        let dir = try Self.scratch()
        defer { try? FileManager.default.removeItem(at: dir) }
        let path = dir.appendingPathComponent("out.json").path
        try AtomicFile.write("old\n", to: path)
        // Renaming a file over a directory fails after the temporary file was written.
        let blocked = dir.appendingPathComponent("blocked").path
        try FileManager.default.createDirectory(atPath: blocked + "/inside", withIntermediateDirectories: true)
        #expect(throws: AtomicFile.WriteError.self) { try AtomicFile.write("new\n", to: blocked) }
        #expect(throws: AtomicFile.WriteError.self) { try AtomicFile.write("new\n", to: dir.path + "/missing/out.json") }
        #expect(try String(contentsOfFile: path, encoding: .utf8) == "old\n")
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir.path).sorted() == ["blocked", "out.json"])
    }
}
