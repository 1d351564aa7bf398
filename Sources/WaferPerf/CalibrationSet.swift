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
        let header = try DataFileHeader.read(path: path, file: "calibration file", version: formatVersion,
                                             versionFailure: .calibrationVersion, listKey: "points", emptyFailure: .calibrationEmpty)
        var points: [Point] = []
        for node in header.entries {
            var p = try MappingReader(node, context: "a calibration point")
            let model = try p.required("model").string("'model'")
            let region = try p.required("region").integer("'region'", in: 1...100_000)
            let measured = try p.required("measured_tokens_per_s").number("'measured_tokens_per_s'", in: 1e-6...1e12)
            try p.finish()
            let resolved = DataFileHeader.resolve(model, in: header.directory)
            points.append(Point(modelPath: resolved, modelName: model, region: region, measuredTokensPerS: measured, location: node.location))
        }
        try header.map.finish()
        return CalibrationSet(path: path, source: header.source, target: header.target, contextTokens: header.contextTokens, points: points)
    }
}
