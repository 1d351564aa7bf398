import Foundation
import WaferSupport
import WaferYAML

/// What every WaferPerf data file starts with (calibration sets, production data): `version`,
/// `source`, `target`, `context_tokens` and a non-empty list of entries whose model paths are
/// relative to the file. Read once here so the two readers cannot drift apart; each reads its
/// own entries and then calls `map.finish()`, so unknown top-level keys are reported after them,
/// as before. Every error names the file, line and column. O(entries).
struct DataFileHeader {
    var source: String
    var target: String
    var contextTokens: Int
    /// The entries under the list key, at least one.
    var entries: [YAMLNode]
    /// The top-level mapping, to `finish()` once the entries are read.
    var map: MappingReader
    /// The file's directory, which relative model paths are resolved against.
    var directory: String

    /// Reads the header of the file at `path`, `file` naming its kind in messages ("calibration
    /// file"), which must be of version `version` and list at least one entry under `listKey`.
    static func read(path: String, file: String, version expected: Int, versionFailure: PerfFailure,
                     listKey: String, emptyFailure: PerfFailure) throws(DiagnosticError) -> DataFileHeader {
        let root = try YAMLReader.load(path: path)
        var map = try MappingReader(root, context: "the \(file)")
        let versionNode = try map.required("version")
        let version = try versionNode.integer("'version'", in: 0...Int.max)
        guard version == expected else {
            throw .error(versionFailure, "unsupported \(file) version \(version); this WaferMap reads version \(expected)", at: versionNode.location)
        }
        let source = try map.required("source").string("'source'")
        let target = try map.required("target").string("'target'")
        let context = try map.required("context_tokens").integer("'context_tokens'", in: 1...(1 << 30))
        let directory = URL(fileURLWithPath: path).deletingLastPathComponent().path
        let entries = try map.required(listKey).list("'\(listKey)'")
        guard !entries.isEmpty else { throw .error(emptyFailure, "the \(file) lists no \(listKey)", at: root.location) }
        return DataFileHeader(source: source, target: target, contextTokens: context, entries: entries, map: map, directory: directory)
    }

    /// `model` as written in the file, resolved against the file's directory unless absolute.
    static func resolve(_ model: String, in directory: String) -> String {
        model.hasPrefix("/") ? model : (directory as NSString).appendingPathComponent(model)
    }
}
