import Foundation
import Testing
import WaferSupport
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The one bounded reader refuses what is not a regular file before reading it, and messages
/// never carry an input's text unbounded or raw (issue 20).
@Suite struct HostileFileTests {
    static func scratch() throws -> URL {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("wafermap-bounded-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        return dir
    }

    func reason(_ result: Result<Data, BoundedFile.Failure>, maxBytes: Int = 100) -> String? {
        if case let .failure(failure) = result { return BoundedFile.reason(failure, maxBytes: maxBytes) }
        return nil
    }

    /// A FIFO with no writer, a character device and a directory are refused at once (a
    /// blocking open of the FIFO would never return); a regular file is read, and one over the
    /// limit refused.
    @Test func onlyRegularFilesAreRead() throws {
        let dir = try Self.scratch()
        defer { try? FileManager.default.removeItem(at: dir) }
        let fifo = dir.appendingPathComponent("pipe.yaml").path
        #expect(mkfifo(fifo, 0o644) == 0)
        let clock = ContinuousClock()
        let start = clock.now
        #expect(reason(BoundedFile.read(path: fifo, maxBytes: 100)) == "is a named pipe (FIFO), not a regular file; WaferMap reads inputs from regular files only")
        #expect(clock.now - start < .seconds(5))
        #expect(reason(BoundedFile.read(path: "/dev/zero", maxBytes: 100)) == "is a character device, not a regular file; WaferMap reads inputs from regular files only")
        #expect(reason(BoundedFile.read(path: dir.path, maxBytes: 100)) == "it is a directory")
        #expect(reason(BoundedFile.read(path: dir.appendingPathComponent("none").path, maxBytes: 100)) == "no such file")
        let file = dir.appendingPathComponent("ok.yaml").path
        try "a: 1\n".write(toFile: file, atomically: true, encoding: .utf8)
        #expect(try BoundedFile.read(path: file, maxBytes: 100).get() == Data("a: 1\n".utf8))
        #expect(reason(BoundedFile.read(path: file, maxBytes: 3), maxBytes: 3) == "it is 5 bytes; the limit is 3 bytes")
        // A symbolic link to a FIFO is the FIFO.
        let link = dir.appendingPathComponent("link.yaml").path
        try FileManager.default.createSymbolicLink(atPath: link, withDestinationPath: fifo)
        #expect(reason(BoundedFile.read(path: link, maxBytes: 100))?.contains("not a regular file") == true)
    }

    /// Quoted input is cut to 200 characters with an ellipsis, a message to 2,000 characters,
    /// control characters escaped; an apostrophe inside a word opens no quote.
    @Test func messagesBoundWhatTheyQuote() {
        let key = String(repeating: "k", count: 400_000)
        let unknown = Diagnostic.error(SampleFailure.input, "unknown key '\(key)' in the model", at: SourceLocation(file: "m.yaml", line: 3, column: 1))
        #expect(unknown.message == "unknown key '\(String(repeating: "k", count: 200))…' in the model")
        #expect(Diagnostic.quoted(key) == "'\(String(repeating: "k", count: 200))…'")
        #expect(Diagnostic.quoted("short") == "'short'")
        let unquoted = Diagnostic.error(SampleFailure.input, "found " + key, at: nil)
        #expect(unquoted.message.count < 2_100 && unquoted.message.hasSuffix("more characters)"))
        #expect(unquoted.description.count < 2_200)
        let raw = Diagnostic.error(SampleFailure.input, "name 'a\u{0}b\u{1B}[31m'", at: nil)
        #expect(raw.message == "name 'a\\u{0}b\\u{1B}[31m'")
        let tail = String(repeating: "x ", count: 300)
        let apostrophe = Diagnostic.error(SampleFailure.input, "wafer 3's usable bytes: \(tail)", at: nil)
        #expect(apostrophe.message == "wafer 3's usable bytes: \(tail)")
        #expect(Diagnostic.error(SampleFailure.input, "multi\nline", at: nil).message == "multi\nline")
    }
}
