// libFuzzer target: the Hugging Face config.json importer (the strict JSON reader, family and
// quantization reading with its linear-time module patterns, storage lifting, MTP and vision
// counts, the YAML writer and its read-back, lowering and assign-precision). Any crash, hang or
// sanitizer report is a bug: bad input must only ever produce diagnostics (errors, or warnings
// in `ImportedModel.warnings`), never one whose ID is a bug (docs/diagnostics.md). Built and run by scripts/fuzz.sh.
import WaferFrontend
import WaferIR
import WaferPasses
import WaferSupport

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzConfig(_ data: UnsafePointer<UInt8>, _ size: Int) -> Int32 {
    let bytes = Array(UnsafeBufferPointer(start: data, count: size))
    do {
        let imported = try HFImporter.importConfig(bytes: bytes, file: "config.json")
        for warning in imported.warnings { _ = warning.description }
        var graph = try ModelLoader.build(imported.spec)
        _ = try PassManager(passes: PassRegistry.frontHalf).run(&graph)
        _ = try? graph.statistics()
        let yaml = ModelYAMLWriter.render(imported)
        _ = try ModelLoader.load(bytes: Array(yaml.utf8), file: "imported.yaml")
    } catch {
        // Bad input is never a bug: an invariant or a verifier finding from an input is one.
        if error.diagnostics.contains(where: { $0.id?.isBug == true }) { fatalError("a bug diagnostic from input:\n\(error)") }
    }
    return 0
}
