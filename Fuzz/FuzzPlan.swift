// libFuzzer target: the plan reader, the plan's consistency check and the embedded executor
// (structural replay, a sampled numeric check, the timing simulation). Built by scripts/fuzz.sh.
import Foundation
import WaferExec
import WaferPlan

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzPlan(_ data: UnsafePointer<UInt8>, _ size: Int) -> Int32 {
    let bytes = Data(UnsafeBufferPointer(start: data, count: size))
    guard let plan = try? PlanIO.decode(bytes, file: "fuzz.plan.json") else { return 0 }
    _ = PlanCheck.problems(plan)
    var options = Executor.Options()
    options.numeric = true
    options.timing = true
    // The full numeric run is for tiny models; keep each input fast under ASan.
    options.fullNumericLimit = 100_000
    options.largeModelSample = 1
    _ = Executor.run(plan, options: options)
    return 0
}
