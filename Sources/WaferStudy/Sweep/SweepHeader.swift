import Foundation
import WaferFrontend
import WaferIR
import WaferMap
import WaferReport
import WaferPasses
import WaferSupport
import WaferTarget

/// What identifies a sweep and renders it: the model (name and SHA-256 of its file), the target
/// and every flag that changes a figure, plus `top` and the output format. No path, thread count,
/// time or host: two shards of one command line on two machines write equal headers, and
/// `wafermap merge` refuses parts whose headers differ.
public struct SweepHeader: Sendable, Codable, Equatable {
    public var model: String
    public var modelSha256: String
    /// The resolved target's name; the SHA-256 of the target and kernel files when files.
    public var target: String
    public var targetSha256: String?, kernels: String?, kernelsSha256: String?
    public var precisions: [String]
    public var contextTokens: Int, batch: Int
    public var kvPrecision: String
    /// `auto` or the fixed count.
    public var wafers: String
    public var seed: UInt64
    /// `none`, `generate(rate, seed, clustered)`, or `file sha256=...`.
    public var defects: String
    public var repair: String?, nestedMaxRate: Double?
    public var promptTokens: Int?
    /// `--speculative DRAFT`, `--draft-tokens`, `--acceptance-rate` as given; nil without.
    public var speculative: String?
    /// The base `--pass-option`s that differ from the defaults, `SECTION.KNOB=VALUE`.
    public var passOptions: [String]
    public var variations: [String]
    public var extraWafers: Int
    public var slots: [String]
    public var batches: [Int], contexts: [Int]
    public var top: Int
    public var format: SweepFormat
}

extension Driver {
    /// The header of `request`: reads the model (for its name) and hashes the input files.
    /// O(model file + front end).
    public static func sweepHeader(_ request: SweepRequest) throws(DiagnosticError) -> SweepHeader {
        let c = request.count
        let graph: Graph
        if let model = c.model { graph = model } else { graph = try ModelLoader.load(path: c.modelPath) }
        let target = try BuiltinTargets.resolve(c.target, kernels: c.kernels)
        let d = c.deployment
        var wafers = "auto"
        if case let .exactly(n) = d.wafers { wafers = "\(n)" }
        let defects: String
        switch c.defects {
        case .none: defects = "none"
        case let .file(path): defects = "file sha256=\(fileHash(path) ?? "unreadable")"
        case let .generate(rate, seed, clustered): defects = "generate rate=\(rate) seed=\(seed) clustered=\(clustered)"
        }
        let speculative = c.speculative.map { "\($0.draft) draft_tokens=\($0.draftTokens.map(String.init) ?? "default") acceptance=\($0.acceptanceRate.map { "\($0)" } ?? "default")" }
        return SweepHeader(model: graph.name, modelSha256: fileHash(c.modelPath) ?? "unreadable", target: target.name,
                           targetSha256: fileHash(c.target), kernels: c.kernels, kernelsSha256: c.kernels.flatMap(fileHash),
                           precisions: c.precisions.map(\.description), contextTokens: d.contextTokens, batch: d.batch,
                           kvPrecision: d.kvElement.rawValue, wafers: wafers, seed: d.seed, defects: defects, repair: c.repair?.rawValue,
                           nestedMaxRate: c.nestedMaxRate, promptTokens: d.promptTokens, speculative: speculative,
                           passOptions: PassOptionReport.changedAssignments(c.passOptions),
                           variations: request.variations.map { "\($0.key)=\($0.values.joined(separator: ","))" }, extraWafers: request.extraWafers,
                           slots: request.slots.map(\.description), batches: request.batches, contexts: request.contexts, top: request.top, format: request.format)
    }

    /// SHA-256 of the file at `path` in hex, or nil when it is no readable file (a built-in
    /// name). O(bytes), at most 256 MiB read.
    static func fileHash(_ path: String) -> String? {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory), !isDirectory.boolValue,
              case let .success(bytes) = BoundedFile.read(path: path, maxBytes: 256 << 20) else { return nil }
        return SHA256.hex([UInt8](bytes))
    }
}

/// A sweep shard's partial result (`--shard K/N -o PART`).
public typealias SweepPartial = StudyPartial<SweepHeader, SweepOutcome>

extension SweepReport {
    /// The `study` of a sweep's partial results.
    public static let studyKind = "sweep"

    /// `wafermap merge` of sweep parts: the rendered output of the whole sweep, byte for byte
    /// what the unsharded command writes with `-o`. O(total bytes + rows^2).
    @Sendable public static func mergeParts(_ parts: [(file: String, data: Data)]) throws(DiagnosticError) -> String {
        var decoded: [(file: String, partial: SweepPartial)] = []
        for part in parts { decoded.append((part.file, try SweepPartial.decode(part.data, file: part.file, study: studyKind))) }
        let (header, outcomes) = try SweepPartial.merge(decoded)
        return try assemble(header: header, outcomes: outcomes).render()
    }
}
