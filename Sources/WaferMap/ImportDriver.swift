import Foundation
import WaferFrontend
import WaferIR
import WaferPasses
import WaferSupport

/// What `wafermap import` produced.
public struct ImportResult: Sendable {
    /// The model description, comments included.
    public var yaml: String
    public var statistics: ModelStatistics
    public var unmapped: [UnmappedModule]
    /// Where the YAML went, or nil for standard output.
    public var outputPath: String?
    /// The importer's warnings (a part it could not count); the YAML header says the same.
    public var warnings: [Diagnostic] = []
}

extension Driver {
    /// `config.json` -> model description YAML.
    ///
    /// Self-check before anything is written: the YAML is decoded back and must give exactly
    /// the statistics (parameters, active parameters, bytes) of the imported model; a mismatch
    /// is an internal error and nothing is written. The file is written atomically.
    public static func importConfig(path: String, output: String?, options: HFImporter.Options) throws(DiagnosticError) -> ImportResult {
        if let output, let problem = OutputPaths.problem(outputs: [.init(path: output, flag: "-o")], inputs: [path]) {
            throw .error(DriverFailure.outputPath, problem, at: nil)
        }
        let imported = try HFImporter.load(path: path, options: options)
        var graph = try ModelLoader.build(imported.spec)
        let yaml = ModelYAMLWriter.render(imported)
        var reread = try ModelLoader.load(bytes: Array(yaml.utf8), file: output ?? "<import output>")
        // Bytes exist once the storage formats are assigned: run the front half on both.
        let manager = PassManager(passes: PassRegistry.frontHalf)
        _ = try manager.run(&graph)
        _ = try manager.run(&reread)
        let statistics: ModelStatistics, check: ModelStatistics
        do {
            statistics = try graph.statistics()
            check = try reread.statistics()
        } catch {
            throw .error(ModelFailure.overflow, "the model's total \(error.what) overflow 64-bit integers", at: .startOf(path))
        }
        guard statistics.totalParameters == check.totalParameters, statistics.activeParameters == check.activeParameters,
              statistics.weightBytes == check.weightBytes, reread.unmappedModules == graph.unmappedModules else {
            throw .error(DriverFailure.invariant, "internal error: the written description does not reproduce the imported model", at: .startOf(path))
        }
        if let output {
            do throws(AtomicFile.WriteError) {
                try AtomicFile.write(yaml, to: output)
            } catch {
                throw .error(DriverFailure.write, error.description, at: nil)
            }
        }
        return ImportResult(yaml: yaml, statistics: statistics, unmapped: graph.unmappedModules, outputPath: output,
                            warnings: imported.warnings)
    }
}
