// libFuzzer target: the defect-map reader against the small64 target, and against small64 with
// spare rows (version 2 physical maps, then the spare-row repair). Built by scripts/fuzz.sh.
import WaferTarget

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzDefects(_ data: UnsafePointer<UInt8>, _ size: Int) -> Int32 {
    let bytes = Array(UnsafeBufferPointer(start: data, count: size))
    guard let target = try? BuiltinTargets.resolve("small64") else { return 0 }
    if let map = try? DefectMapIO.decode(bytes: bytes, file: "fuzz.yaml", target: target) {
        _ = DefectMapIO.render(map)
    }
    var spare = target
    spare.redundancy = Redundancy(blockRows: 16, spareRowsPerBlock: 2, bypassHops: 1)
    if let map = try? DefectMapIO.decode(bytes: bytes, file: "fuzz.yaml", target: spare) {
        _ = DefectMapIO.render(map)
        _ = map.repaired(for: spare)
    }
    return 0
}
