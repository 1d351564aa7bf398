import Foundation
import WaferSupport
import WaferYAML

/// Published production decode speeds to compare the performance model with
/// (docs/performance-model.md, "Production on WSE-3"): a target, a context, and rows of (model,
/// published per-user tokens/s, the conditions the source states). Each row is in the fit set
/// (constants may be fitted to it) or the validation set (reported, never fitted). The shipped
/// set is examples/calibration/production-wse3.yaml (Cerebras Inference on CS-3).
public struct ProductionSet: Sendable {
    /// Whether constants may be fitted to a row.
    public enum Role: String, Sendable, Encodable, CaseIterable { case fit, validation }
    /// Whether the published figure used speculative decoding: `no` and `yes` as a source
    /// states; `assumed` when published after it was introduced (2024-10) and not stated.
    public enum Speculative: String, Sendable, Encodable, CaseIterable { case no, yes, assumed }
    public struct Row: Sendable {
        /// The model file, resolved against the data file's directory.
        public var modelPath: String
        /// As written in the file.
        public var modelName: String
        public var role: Role
        public var tokensPerS: Double
        /// The published spread (the figure itself when the sources agree).
        public var tokensPerSLow: Double
        public var tokensPerSHigh: Double
        public var date: String
        /// As the source states it, or "undisclosed".
        public var precision: String
        /// Systems serving the model as published; nil when undisclosed.
        public var wafers: Int?
        public var speculative: Speculative
        /// The kernel profile of the row's generation (`launch-wse3` before the October 2024
        /// rewrite, `production-wse3` after): what the row predicts with, and what a fit fits.
        public var kernels: String
        public var source: String
        public var notes: String
        public var location: SourceLocation?

        public init(modelPath: String, modelName: String, role: Role, tokensPerS: Double, tokensPerSLow: Double, tokensPerSHigh: Double, date: String,
                    precision: String, wafers: Int?, speculative: Speculative, kernels: String, source: String, notes: String, location: SourceLocation?) {
            self.modelPath = modelPath; self.modelName = modelName; self.role = role; self.tokensPerS = tokensPerS
            self.tokensPerSLow = tokensPerSLow; self.tokensPerSHigh = tokensPerSHigh; self.date = date; self.precision = precision
            self.wafers = wafers; self.speculative = speculative; self.kernels = kernels; self.source = source; self.notes = notes
            self.location = location
        }
    }
    public static let formatVersion = 1
    public var path: String
    public var source: String
    public var target: String
    public var contextTokens: Int
    public var rows: [Row]

    /// Reads and checks a production data file; every error names the file, line and column.
    /// O(rows).
    public static func load(path: String) throws(DiagnosticError) -> ProductionSet {
        let header = try DataFileHeader.read(path: path, file: "production data file", version: formatVersion,
                                             versionFailure: .productionVersion, listKey: "rows", emptyFailure: .productionEmpty)
        var rows: [Row] = []
        for node in header.entries { rows.append(try row(node, directory: header.directory)) }
        try header.map.finish()
        return ProductionSet(path: path, source: header.source, target: header.target, contextTokens: header.contextTokens, rows: rows)
    }

    /// One row, its vocabularies and its range checked. O(1).
    static func row(_ node: YAMLNode, directory: String) throws(DiagnosticError) -> Row {
        var r = try MappingReader(node, context: "a production row")
        let model = try r.required("model").string("'model'")
        let role: Role = try word(r.required("set"), "'set'")
        let figure = try r.required("tokens_per_s").number("'tokens_per_s'", in: 1e-6...1e12)
        let low = try r.optional("tokens_per_s_low")?.number("'tokens_per_s_low'", in: 1e-6...1e12) ?? figure
        let high = try r.optional("tokens_per_s_high")?.number("'tokens_per_s_high'", in: 1e-6...1e12) ?? figure
        guard low <= figure, figure <= high else {
            throw .error(PerfFailure.productionValue, "tokens_per_s \(figure) lies outside its published range \(low)...\(high)", at: node.location)
        }
        let date = try r.required("date").string("'date'")
        let precision = try r.required("precision").string("'precision'")
        let wafersNode = try r.required("wafers")
        let wafers: Int? = wafersNode.scalarText == "undisclosed" ? nil : try wafersNode.integer("'wafers' (a count or undisclosed)", in: 1...4096)
        let speculative: Speculative = try word(r.required("speculative"), "'speculative'")
        let kernels = try r.required("kernels").name("'kernels'")
        let source = try r.required("source").string("'source'")
        let notes = try r.optional("notes")?.string("'notes'") ?? ""
        try r.finish()
        let resolved = DataFileHeader.resolve(model, in: directory)
        return Row(modelPath: resolved, modelName: model, role: role, tokensPerS: figure, tokensPerSLow: low, tokensPerSHigh: high, date: date,
                   precision: precision, wafers: wafers, speculative: speculative, kernels: kernels, source: source, notes: notes, location: node.location)
    }

    /// A scalar that must be one of `T`'s words. O(cases).
    static func word<T: RawRepresentable & CaseIterable>(_ node: YAMLNode, _ what: String) throws(DiagnosticError) -> T where T.RawValue == String {
        let text = try node.string(what)
        guard let value = T(rawValue: text) else {
            let words = T.allCases.map(\.rawValue).joined(separator: ", ")
            throw .error(PerfFailure.productionValue, "\(what) is '\(text)'; expected one of \(words)", at: node.location)
        }
        return value
    }
}
