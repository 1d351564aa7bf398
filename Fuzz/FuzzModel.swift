// libFuzzer target: the YAML model front end (libyaml, decoder, lowering, verifier, passes up to
// assign-precision). Any crash, hang or sanitizer report is a bug: bad input must only ever
// produce diagnostics, and never one whose ID is a bug (docs/diagnostics.md). Built and run by scripts/fuzz.sh.
import WaferFrontend
import WaferIR
import WaferPasses
import WaferSupport

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzModel(_ data: UnsafePointer<UInt8>, _ size: Int) -> Int32 {
    let bytes = Array(UnsafeBufferPointer(start: data, count: size))
    do {
        var graph = try ModelLoader.load(bytes: bytes, file: "fuzz.yaml")
        _ = try PassManager(passes: PassRegistry.frontHalf).run(&graph)
        _ = IRPrinter().print(graph)
        _ = try? graph.statistics()
    } catch {
        // Bad input is never a bug: an invariant or a verifier finding from an input is one.
        if error.diagnostics.contains(where: { $0.id?.isBug == true }) { fatalError("a bug diagnostic from input:\n\(error)") }
    }
    return 0
}
