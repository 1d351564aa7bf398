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

    /// One file of `StagedFiles`: staged in full beside `path` (only over a regular file or
    /// nothing), then renamed over it.
    public static func write(_ data: Data, to path: String) throws(WriteError) {
        var staged = StagedFiles()
        do throws(StagedFiles.Failure) {
            try staged.stage(data, to: path)
            try staged.commit()
        } catch {
            throw WriteError(path: error.path, reason: error.reason)
        }
    }

    public static func write(_ text: String, to path: String) throws(WriteError) {
        try write(Data(text.utf8), to: path)
    }
}
