import WaferIR
import WaferSupport
import WaferYAML

/// The front end's entry point: file or bytes -> verified `Graph`.
public enum ModelLoader {
    /// Reads, decodes, lowers and verifies the model file at `path`.
    public static func load(path: String, limits: YAMLLimits = .default) throws(DiagnosticError) -> Graph {
        let root = try YAMLReader.load(path: path, limits: limits)
        return try build(root, file: path)
    }

    /// The same from bytes already in memory (tests, fuzzing). `file` names them in messages.
    public static func load(bytes: [UInt8], file: String, limits: YAMLLimits = .default) throws(DiagnosticError) -> Graph {
        let root = try YAMLReader.parse(bytes: bytes, file: file, limits: limits)
        return try build(root, file: file)
    }

    static func build(_ root: YAMLNode, file: String) throws(DiagnosticError) -> Graph {
        let spec = try ModelDecoder.decode(root, file: file)
        let graph = try Lowering.lower(spec)
        try Verifier.verify(graph, after: "the front end")
        do {
            _ = try graph.statistics()
        } catch {
            throw .error("the model's total \(error.what) overflow 64-bit integers", at: spec.layersLocation)
        }
        return graph
    }
}
