import Foundation
import WaferSupport
import WaferYAML

/// Published measurements to calibrate the performance model against (docs/performance-model.md,
/// "Calibration file"): a target, a context, and points of (model, region size P, measured
/// tokens/s). The shipped set is examples/calibration/waferllm-wse2.yaml (WaferLLM, Table 4).
public struct CalibrationSet: Sendable {
    public struct Point: Sendable {
        /// The model file, resolved against the calibration file's directory.
        public var modelPath: String
        /// As written in the file.
        public var modelName: String
        /// The published mapping's P: one layer per P x P region.
        public var region: Int
        public var measuredTokensPerS: Double
        public var location: SourceLocation?
    }
    public static let formatVersion = 1
    public var path: String
    public var source: String
    public var target: String
    public var contextTokens: Int
    public var points: [Point]

    /// Reads and checks a calibration file; every error names the file, line and column. O(points).
    public static func load(path: String) throws(DiagnosticError) -> CalibrationSet {
        let root = try YAMLReader.load(path: path)
        var map = try MappingReader(root, context: "the calibration file")
        let versionNode = try map.required("version")
        let version = try versionNode.integer("'version'", in: 0...Int.max)
        guard version == formatVersion else {
            throw .error(PerfFailure.calibrationVersion, "unsupported calibration file version \(version); this WaferMap reads version \(formatVersion)", at: versionNode.location)
        }
        let source = try map.required("source").string("'source'")
        let target = try map.required("target").string("'target'")
        let context = try map.required("context_tokens").integer("'context_tokens'", in: 1...(1 << 30))
        let directory = URL(fileURLWithPath: path).deletingLastPathComponent().path
        var points: [Point] = []
        let list = try map.required("points").list("'points'")
        guard !list.isEmpty else { throw .error(PerfFailure.calibrationEmpty, "the calibration file lists no points", at: root.location) }
        for node in list {
            var p = try MappingReader(node, context: "a calibration point")
            let model = try p.required("model").string("'model'")
            let region = try p.required("region").integer("'region'", in: 1...100_000)
            let measured = try p.required("measured_tokens_per_s").number("'measured_tokens_per_s'", in: 1e-6...1e12)
            try p.finish()
            let resolved = model.hasPrefix("/") ? model : (directory as NSString).appendingPathComponent(model)
            points.append(Point(modelPath: resolved, modelName: model, region: region, measuredTokensPerS: measured, location: node.location))
        }
        try map.finish()
        return CalibrationSet(path: path, source: source, target: target, contextTokens: context, points: points)
    }
}
