// libFuzzer target: the defect-map reader against the small64 target. Built by scripts/fuzz.sh.
import WaferTarget

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzDefects(_ data: UnsafePointer<UInt8>, _ size: Int) -> Int32 {
    let bytes = Array(UnsafeBufferPointer(start: data, count: size))
    guard let target = try? BuiltinTargets.resolve("small64") else { return 0 }
    if let map = try? DefectMapIO.decode(bytes: bytes, file: "fuzz.yaml", target: target) {
        _ = DefectMapIO.render(map)
    }
    return 0
}
