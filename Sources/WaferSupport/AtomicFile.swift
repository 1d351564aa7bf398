import Foundation

/// Writes files so that a reader never sees half of one.
///
/// The content goes to a temporary file in the destination's directory, is written and closed, and is then
/// renamed over the destination (rename(2) is atomic within one file system). An interrupted run
/// leaves at most a `.wafermap-tmp-*` file behind, never a truncated output.
public enum AtomicFile {
    public struct WriteError: Error, CustomStringConvertible, Sendable {
        public var path: String
        public var reason: String
        public var description: String { "cannot write '\(path)': \(reason)" }
    }

    public static func write(_ data: Data, to path: String) throws(WriteError) {
        if let reason = OutputPaths.existingProblem(path) { throw WriteError(path: path, reason: reason) }
        let url = URL(fileURLWithPath: path)
        let directory = url.deletingLastPathComponent()
        let temporary = directory.appendingPathComponent(".wafermap-tmp-\(ProcessInfo.processInfo.processIdentifier)-\(url.lastPathComponent)")
        var isDirectory: ObjCBool = false
        let directoryPath = directory.path.isEmpty ? "." : directory.path
        guard FileManager.default.fileExists(atPath: directoryPath, isDirectory: &isDirectory), isDirectory.boolValue else {
            throw WriteError(path: path, reason: "the directory '\(directoryPath)' does not exist")
        }
        do {
            try data.write(to: temporary, options: [])
        } catch {
            throw WriteError(path: path, reason: error.localizedDescription)
        }
        if rename(temporary.path, url.path) != 0 {
            let reason = String(cString: strerror(errno))
            try? FileManager.default.removeItem(at: temporary)
            throw WriteError(path: path, reason: reason)
        }
    }

    public static func write(_ text: String, to path: String) throws(WriteError) {
        try write(Data(text.utf8), to: path)
    }
}
