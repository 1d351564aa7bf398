import WaferSupport
import WaferTarget

/// Where `count` and `compile` take defects from.
public enum DefectRequest: Sendable {
    case none
    case file(String)
    case generate(rate: Double, seed: UInt64, clustered: Bool)
}

/// `--repair`: whether the hardware's spare rows repair defects before the passes see them
/// (docs/redundancy.md).
public enum RepairMode: String, Sendable, CaseIterable {
    /// No hardware repair: every generated or listed defect lands on the logical fabric.
    case none
    /// The target's spare rows absorb what their budget allows; the rest are logical holes.
    case spareRows = "spare-rows"

    /// `spare-rows` for a target with `redundancy`, else `none`. O(1).
    public static func standard(for target: Target) -> RepairMode { target.redundancy == nil ? .none : .spareRows }
}

/// Builds the defect source a request names (`DefectSources.source`, which `Driver.count` calls).
public enum DefectSources {
    /// How many wafers of a generated physical draw are repaired up front to check the holes
    /// against `DefectSource.maxDeadPEsPerWafer` (fewer when the deployment gives fewer wafers):
    /// repair is O(defects), so this costs milliseconds even at rate 0.05, whatever `--wafers`.
    public static let wafersChecked = 16

    /// The source and a one-line description for reports. Generated defects name their seed
    /// only when it is not `deploymentSeed` (the `--seed` every report prints beside this
    /// description). `repair` nil takes `RepairMode.standard(for:)`; `nestedMaxRate` draws
    /// nested maps (`DefectGenerator.nestedMaxRate`); `wafers` the deployment's count, if fixed.
    /// O(defects of the checked wafers).
    public static func source(_ request: DefectRequest, target: Target, deploymentSeed: UInt64? = nil, repair: RepairMode? = nil,
                              nestedMaxRate: Double? = nil, wafers: Int? = nil) throws(DiagnosticError) -> (DefectSource, String) {
        let mode = repair ?? .standard(for: target)
        if mode == .spareRows && target.redundancy == nil {
            throw .error(DriverFailure.flagValue, "--repair spare-rows needs a target with 'redundancy:', and \(target.name) has none (docs/redundancy.md)", at: nil)
        }
        let cap = DefectSource.maxDeadPEsPerWafer
        switch request {
        case .none:
            return (.none, "none")
        case let .file(path):
            let written = try DefectMapIO.loadAsWritten(path: path, target: target)
            if written.physical && mode == .none {
                throw .error(DriverFailure.flagConflict, "\(path) is a physical (version 2) defect map; --repair none takes logical (version 1) maps only", at: .startOf(path))
            }
            let map = written.repaired(for: target)
            if let (index, wafer) = map.wafers.enumerated().first(where: { $0.element.deadPEs.count > cap }) {
                let what = map.repairs == nil ? "dead PEs" : "holes beyond the spare rows"
                throw .error(DriverFailure.tooManyDefects, "wafer \(index) has \(Units.grouped(wafer.deadPEs.count)) \(what); mapping a model accepts at most \(Units.grouped(cap)) per wafer (docs/defect-format.md)",
                             at: .startOf(path))
            }
            var line = "\(path): \(Units.count(map.waferCount, "wafer")), \(Units.count(map.totalDeadPEs, "dead PE")), \(Units.count(map.totalDeadLinks, "dead link"))"
            if let repairs = map.repairs { line += repairLine(repairs) }
            return (.map(map), line)
        case let .generate(rate, seed, clustered):
            guard rate >= 0, rate <= DefectGenerator.maxRate else {
                throw .error(DriverFailure.flagValue, "--defect-rate must be between 0 and \(DefectGenerator.maxRate)", at: nil)
            }
            let generator = DefectGenerator(target: target, rate: rate, clustering: clustered ? .init() : nil, seed: seed,
                                            physical: mode == .spareRows, nestedMaxRate: nestedMaxRate)
            let own = seed == deploymentSeed ? "" : ", seed \(seed)"
            let kind = clustered ? "clustered" : "uniform"
            guard generator.redundancy != nil else {
                // Refused before any work: the expected dead PEs per wafer bound the time.
                let expected = rate * Double(target.fabricPEs)
                guard expected <= Double(cap) else {
                    let highest = (Double(cap) / Double(target.fabricPEs) * 1e5).rounded(.down) / 1e5
                    throw .error(DriverFailure.tooManyDefects, "--defect-rate \(rate) on \(target.name) expects \(Units.grouped(Int(expected.rounded()))) dead PEs per wafer; mapping a model accepts at most \(Units.grouped(cap)), a rate of at most \(Units.fixed(highest, digits: 5)) on its \(target.fabricWidth)x\(target.fabricHeight) fabric",
                                 at: nil)
                }
                return (.generated(generator), "generated: \(kind) rate \(Units.decimal(rate)) per PE\(own)")
            }
            // Physical draw: the cap applies to the holes repair leaves, checked on the first wafers.
            let checked = (0..<min(wafers ?? wafersChecked, wafersChecked)).map { generator.repairSummary($0) ?? .none }
            if let (index, worst) = checked.enumerated().max(by: { $0.element.holes < $1.element.holes }), worst.holes > cap {
                throw .error(DriverFailure.tooManyDefects, "--defect-rate \(rate) on \(target.name) leaves \(Units.grouped(worst.holes)) holes beyond the spare rows on wafer \(index) (of \(Units.grouped(worst.physicalDeadPEs)) dead PEs); mapping a model accepts at most \(Units.grouped(cap)) per wafer: lower the rate, or use --repair none below rate \(Units.fixed((Double(cap) / Double(target.fabricPEs) * 1e5).rounded(.down) / 1e5, digits: 5))",
                             at: nil)
            }
            return (.generated(generator), "generated: \(kind) rate \(Units.decimal(rate)) per physical PE\(own), repaired by spare rows" + repairLine(checked))
        }
    }

    /// `; on the first N wafers: D physical dead PEs, A absorbed, H holes`. O(wafers).
    static func repairLine(_ repairs: [RepairSummary]) -> String {
        let dead = repairs.reduce(0) { $0 + $1.physicalDeadPEs }, absorbed = repairs.reduce(0) { $0 + $1.absorbed }
        let holes = repairs.reduce(0) { $0 + $1.holes }
        return " (\(Units.count(repairs.count, "wafer")) checked: \(Units.grouped(dead)) physical dead PEs, \(Units.grouped(absorbed)) absorbed, \(Units.grouped(holes)) holes)"
    }
}
