import Foundation
import Testing
import WaferBackend
import WaferMap
import WaferPlan
import WaferSupport
import WaferTarget
import WaferTestSupport

/// A target the reader accepts must give plans within the plan format's limits: each
/// `TargetLimits` bound is within the matching `PlanLimits` one, and a plan carrying a target
/// at every extreme the target reader accepts is written and read back by `PlanIO`.
@Suite struct TargetPlanLimitsTests {
    @Test func everyTargetLimitIsWithinThePlanLimit() {
        // Limits PlanLimits names.
        #expect(TargetLimits.maxFabricSide <= PlanLimits.maxFabricSide)
        #expect(TargetLimits.maxDeploymentPEs == PlanLimits.maxTotalPEs)
        #expect(TargetLimits.maxHalo <= PlanLimits.maxFabricSide)
        #expect(TargetLimits.maxSRAMBytesPerPE <= PlanLimits.maxInteger)
        #expect(TargetLimits.maxLayerOverheadCycles <= PlanLimits.maxInteger)
        // The largest byte total: every PE of every wafer full.
        let side = TargetLimits.maxFabricSide
        #expect(Checked.product([PlanLimits.maxWafers, side, side, TargetLimits.maxSRAMBytesPerPE]).map { $0 <= PlanLimits.maxTotal } == true)
        // Limits PlanLimits.violation writes out (colors 0...64, latency 0...65,536 cycles, wavelet
        // 1...1,024 bits, clock and link bandwidth in (0, 10^6], link latency 0...10^9 ns).
        #expect(TargetLimits.maxColors <= 64)
        #expect(TargetLimits.maxLinkLatencyCycles <= 1 << 16)
        #expect(TargetLimits.maxWaveletBits <= 1024)
        #expect(TargetLimits.clockMHz.lowerBound > 0 && TargetLimits.clockMHz.upperBound <= 1e6)
        #expect(TargetLimits.waferLinkGbps.lowerBound > 0 && TargetLimits.waferLinkGbps.upperBound <= 1e6)
        #expect(TargetLimits.waferLinkLatencyNs.lowerBound >= 0 && TargetLimits.waferLinkLatencyNs.upperBound <= 1e9)
        #expect(TargetLimits.macsPerCycle.lowerBound > 0 && TargetLimits.macsPerCycle.upperBound <= PlanLimits.maxReal)
    }

    /// A plan with a target at the largest, then the smallest, figures the target reader accepts
    /// is encoded and read back (scan limits and `PlanLimits.violation` both pass).
    @Test(arguments: [true, false])
    func planWithAnExtremeTargetReadsBack(_ largest: Bool) throws {
        var plan = try PlanIO.read(path: TestPaths.fixture("plans/tiny-small64.plan.json"))
        let side = largest ? TargetLimits.maxFabricSide : plan.target.fabricWidth
        let sram = largest ? TargetLimits.maxSRAMBytesPerPE : 1
        let macs = largest ? TargetLimits.macsPerCycle.upperBound : TargetLimits.macsPerCycle.lowerBound
        let target = try Target(figuresFrom: "test", name: "extreme", description: "", fabricWidth: side, fabricHeight: side,
                                halo: largest ? Halo(west: side - 1, east: 0, north: 0, south: side - 1) : Halo(west: 0, east: 0, north: 0, south: 0),
                                sramBytesPerPE: sram, runtimeReserveBytesPerPE: largest ? sram - 2 : 0, bufferBytesPerPE: largest ? 1 : 0,
                                macsPerCycle: [.fp16: macs, .fp32: macs],
                                routableColors: largest ? TargetLimits.maxColors : 1, reservedColors: largest ? TargetLimits.maxColors - 1 : 0,
                                clockMHz: largest ? TargetLimits.clockMHz.upperBound : TargetLimits.clockMHz.lowerBound,
                                hopLatencyCycles: largest ? TargetLimits.maxLinkLatencyCycles : 0,
                                rampLatencyCycles: largest ? TargetLimits.maxLinkLatencyCycles : 0,
                                relayLatencyCycles: largest ? TargetLimits.maxLinkLatencyCycles : 0,
                                layerOverheadCycles: largest ? TargetLimits.maxLayerOverheadCycles : 0,
                                waveletBits: largest ? TargetLimits.maxWaveletBits : 1,
                                waferLinkGbps: largest ? TargetLimits.waferLinkGbps.upperBound : TargetLimits.waferLinkGbps.lowerBound,
                                waferLinkLatencyNs: largest ? TargetLimits.waferLinkLatencyNs.upperBound : TargetLimits.waferLinkLatencyNs.lowerBound)
        plan.target = PlanBuilder.target(target)
        #expect(PlanLimits.violation(plan) == nil)
        let back = try PlanIO.decode(PlanIO.encode(plan), file: "extreme.plan.json")
        #expect(back.target == plan.target)
        // One past a target limit is refused by the target itself.
        #expect(throws: DiagnosticError.self) {
            _ = try Target(figuresFrom: "test", name: "over", description: "", fabricWidth: TargetLimits.maxFabricSide + 1, fabricHeight: 64,
                           halo: Halo(west: 0, east: 0, north: 0, south: 0), sramBytesPerPE: 49152, runtimeReserveBytesPerPE: 0,
                           bufferBytesPerPE: 0, macsPerCycle: [.fp16: 1], routableColors: 24, reservedColors: 3, clockMHz: 1100,
                           hopLatencyCycles: 1, rampLatencyCycles: 1, relayLatencyCycles: 1, layerOverheadCycles: 0, waveletBits: 32,
                           waferLinkGbps: 1, waferLinkLatencyNs: 1)
        }
    }
}
