import WaferIR
import WaferSupport
import WaferYAML

/// The front end's entry point: file or bytes -> verified `Graph`.
///
/// A path ending in `.json` is a Hugging Face `config.json` and goes through `HFImporter`;
/// anything else is a WaferMap model description (docs/model-format.md).
public enum ModelLoader {
    /// Reads, decodes (or imports), lowers and verifies the model file at `path`. Warnings (a
    /// config.json part that could not be counted) go to `warn`.
    public static func load(path: String, limits: YAMLLimits = .default,
                            importOptions: HFImporter.Options = HFImporter.Options(),
                            warn: (Diagnostic) -> Void = { _ in }) throws(DiagnosticError) -> Graph {
        if HFImporter.isConfig(path: path) {
            let imported = try HFImporter.load(path: path, options: importOptions, limits: limits)
            for warning in imported.warnings { warn(warning) }
            return try build(imported.spec)
        }
        let root = try YAMLReader.load(path: path, limits: limits)
        return try build(try ModelDecoder.decode(root, file: path))
    }

    /// The same from bytes already in memory (tests, fuzzing). `file` names them in messages.
    public static func load(bytes: [UInt8], file: String, limits: YAMLLimits = .default) throws(DiagnosticError) -> Graph {
        let root = try YAMLReader.parse(bytes: bytes, file: file, limits: limits)
        return try build(try ModelDecoder.decode(root, file: file))
    }

    /// Lowers and verifies a decoded (or imported) description.
    public static func build(_ spec: ModelSpec) throws(DiagnosticError) -> Graph {
        let graph = try Lowering.lower(spec)
        try Verifier.verify(graph, after: "the front end")
        do {
            _ = try graph.statistics()
        } catch {
            throw .error(ModelFailure.overflow, "the model's total \(error.what) overflow 64-bit integers", at: spec.layersLocation)
        }
        return graph
    }
}
