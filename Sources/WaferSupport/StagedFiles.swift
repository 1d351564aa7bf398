import Foundation

/// A set of output files written all or nothing, as far as a file system allows: every file is
/// first written in full to a temporary beside its destination (`stage`), and only when all of
/// them are written are they renamed over their destinations in order (`commit`); `discard`
/// (or a failed stage) removes every temporary and leaves the destinations as they were. A
/// command that writes a plan, a report and pictures never leaves a new plan beside an old
/// report. Renames within a directory are atomic (rename(2)); between the first and the last
/// rename of a commit a crash can leave some destinations new and some old, never a half file.
public struct StagedFiles {
    public struct Failure: Error, CustomStringConvertible, Sendable {
        public var path: String
        public var reason: String
        public var description: String { "cannot write '\(path)': \(reason)" }
        public init(path: String, reason: String) { self.path = path; self.reason = reason }
    }

    private var staged: [(temporary: String, destination: String)] = []

    public init() {}

    /// Destinations staged so far, in order.
    public var destinations: [String] { staged.map(\.destination) }

    /// Writes `data` to a temporary beside `path`. On failure every temporary staged so far is
    /// removed. O(data).
    public mutating func stage(_ data: Data, to path: String) throws(Failure) {
        if let reason = OutputPaths.existingProblem(path) {
            discard()
            throw Failure(path: path, reason: reason)
        }
        let url = URL(fileURLWithPath: path)
        let directory = url.deletingLastPathComponent().path
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: directory.isEmpty ? "." : directory, isDirectory: &isDirectory), isDirectory.boolValue else {
            discard()
            throw Failure(path: path, reason: "the directory '\(directory)' does not exist")
        }
        let temporary = url.deletingLastPathComponent()
            .appendingPathComponent(".wafermap-tmp-\(ProcessInfo.processInfo.processIdentifier)-\(staged.count)-\(url.lastPathComponent)").path
        guard FileManager.default.createFile(atPath: temporary, contents: data) else {
            let reason = String(cString: strerror(errno))
            discard()
            throw Failure(path: path, reason: reason)
        }
        staged.append((temporary, path))
    }

    public mutating func stage(_ text: String, to path: String) throws(Failure) {
        try stage(Data(text.utf8), to: path)
    }

    /// Renames every temporary over its destination, in the order staged. A rename that fails
    /// stops the commit and removes the temporaries not yet renamed.
    public mutating func commit() throws(Failure) {
        let all = staged
        staged = []
        for (i, file) in all.enumerated() where rename(file.temporary, file.destination) != 0 {
            let reason = String(cString: strerror(errno))
            for rest in all[i...] { unlink(rest.temporary) }
            throw Failure(path: file.destination, reason: reason)
        }
    }

    /// Removes every temporary; the destinations stay as they were.
    public mutating func discard() {
        for file in staged { unlink(file.temporary) }
        staged = []
    }
}
