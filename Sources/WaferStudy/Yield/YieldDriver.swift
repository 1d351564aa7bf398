import Foundation
import WaferMap
import WaferPasses
import WaferPerf
import WaferReport
import WaferSupport
import WaferTarget

/// `wafermap yield`: the study, its seeds, its report and its merger (docs/studies.md).
public enum YieldStudy {
    /// The `study` field of a yield partial.
    public static let kind = "yield"

    /// The seed of map `i` of a study with base seed `base`: the first draw of the project's
    /// seeded generator (xoshiro256** seeded by SplitMix64) for seed `base`, stream `i`. Map `i`
    /// uses it for its defects and its placement (`wafermap compile --defect-rate R --seed` it
    /// reproduces the map), whichever shard runs it. O(1).
    public static func seed(base: UInt64, map i: Int) -> UInt64 {
        var rng = SeededRNG(seed: base, stream: UInt64(i))
        return rng.next()
    }

    /// Runs the maps of `request.shard` (all of them for `.whole`) and returns the partial result:
    /// the header (from one defect-free compile, which every shard runs alike) and each map's
    /// outcome. Maps run side by side on `Parallelism.threads` threads, each compile on one
    /// thread; results do not depend on the thread count. `progress` gets a line per map.
    /// O(1 + maps of the shard x (1 or 2) compiles).
    public static func run(_ request: YieldRequest, progress: @escaping (String) -> Void = { _ in }) throws(DiagnosticError) -> YieldPartial {
        guard YieldRequest.mapsRange.contains(request.maps) else {
            throw .error(DriverFailure.flagValue, "--maps must be between 1 and \(Units.grouped(YieldRequest.mapsRange.upperBound)), not \(request.maps)", at: nil)
        }
        guard request.defectRate >= 0, request.defectRate <= DefectGenerator.maxRate else {
            throw .error(DriverFailure.flagValue, "--defect-rate must be between 0 and \(DefectGenerator.maxRate), not \(request.defectRate)", at: nil)
        }
        let a = request.arguments
        if a.wafers != "auto" { throw .error(DriverFailure.flagConflict, "yield chooses the wafer counts itself (the nominal count, then what each map needs): drop --wafers", at: nil) }
        if a.defects != nil { throw .error(DriverFailure.flagConflict, "yield draws its own defect maps at --defect-rate: drop --defects", at: nil) }
        if a.speculative != nil { throw .error(DriverFailure.flagConflict, "--speculative is not part of a yield study (estimate it with compile or sweep)", at: nil) }
        var clean = try a.countRequest(model: request.model)   // applies --threads
        clean.lastPass = "schedule"
        clean.passOptions = request.passOptions
        clean.defects = .none
        let base = clean
        let target = try BuiltinTargets.resolve(base.target, kernels: base.kernels)
        let repair = base.repair ?? .standard(for: target)
        if repair == .none || target.redundancy == nil {
            // Without repair the cap on dead PEs per wafer bounds the rate itself, whatever the seed: refuse it once, not per map.
            _ = try DefectSources.source(.generate(rate: request.defectRate, seed: request.seed, clustered: request.clustered), target: target, repair: repair)
        }
        progress("defect-free compile (the nominal wafer count)")
        let free = try compile(base)
        guard let nominal = free.wafers, let tokens = free.tokensPerS else {
            throw DiagnosticError(Diagnostic(.error, DriverFailure.invariant, "internal: the defect-free compile gave no figures", at: nil))
        }
        let header = YieldHeader(model: free.model, modelSha256: try modelHash(request.model), target: target.name, flags: canonicalFlags(a, options: request.passOptions),
                                 maps: request.maps, defectRate: request.defectRate, defectModel: request.clustered ? "clustered" : "uniform",
                                 seed: String(request.seed), repair: repair.rawValue, format: request.format,
                                 nominalWafers: nominal, defectFreeTokensPerS: tokens,
                                 defectFreeTokensPerSLow: free.tokensPerSLow ?? tokens, defectFreeTokensPerSHigh: free.tokensPerSHigh ?? tokens)
        let items = request.shard.items(of: request.maps)
        let outer = Parallelism.threads
        Parallelism.setThreads(1)
        defer { Parallelism.setThreads(outer) }
        let say = UncheckedProgress(progress)
        let (rate, clustered, baseSeed) = (request.defectRate, request.clustered, request.seed)
        let outcomes = parallelMap(items.count, threads: outer) { k -> Result<YieldMapResult, DiagnosticError> in
            let i = items[k]
            say("map \(i + 1) of \(request.maps)" + (items.count == request.maps ? "" : " (\(k + 1) of shard \(request.shard)'s \(items.count))"))
            do throws(DiagnosticError) {
                return .success(try map(base, nominal: nominal, rate: rate, clustered: clustered, seed: seed(base: baseSeed, map: i)))
            } catch { return .failure(error) }
        }
        var results: [YieldPartial.Entry] = []
        for (k, outcome) in outcomes.enumerated() {
            switch outcome {
            case let .success(r): results.append(.init(item: items[k], result: r))
            case let .failure(e): throw e
            }
        }
        return YieldPartial(study: kind, header: header, shard: request.shard, items: request.maps, results: results)
    }

    /// One compile's figures: what `map` and the defect-free run record.
    struct Compiled {
        var model: String
        var wafers: Int?
        var tokensPerS: Double?, tokensPerSLow: Double?, tokensPerSHigh: Double?
        var deadPes: Int, holes: Int
    }

    /// Compiles `request` through the schedule and takes its figures. O(one compile).
    static func compile(_ request: CountRequest) throws(DiagnosticError) -> Compiled {
        let report = try Driver.count(request)
        guard let result = report.results.first,
              let estimate = PerformanceEstimate(graph: result.graph, target: report.target, promptTokens: request.deployment.promptTokens)
        else { throw .error(DriverFailure.invariant, "internal: no schedule", at: nil) }
        let used = Set(result.partition.stages.map(\.wafer)).sorted()
        var dead = 0, holes = 0
        for w in used {
            let logical = report.defects.defects(forWafer: w)?.deadPEs.count ?? 0
            let repair = report.defects.repair(forWafer: w)
            dead += repair?.physicalDeadPEs ?? logical
            holes += repair?.holes ?? logical
        }
        return Compiled(model: result.graph.name, wafers: used.count, tokensPerS: estimate.tokensPerS, tokensPerSLow: estimate.tokensPerSLow,
                        tokensPerSHigh: estimate.tokensPerSHigh, deadPes: dead, holes: holes)
    }

    /// Map `seed`: compiled on `nominal` wafers, and when that fails, on `--wafers auto`. A
    /// failure of the compiler itself (an internal error) is thrown, never recorded. O(1 or 2 compiles).
    static func map(_ base: CountRequest, nominal: Int, rate: Double, clustered: Bool, seed: UInt64) throws(DiagnosticError) -> YieldMapResult {
        var request = base
        request.deployment.seed = seed
        request.defects = .generate(rate: rate, seed: seed, clustered: clustered)
        request.deployment.wafers = .exactly(nominal)
        var result = YieldMapResult(seed: String(seed), fitsNominal: false)
        do throws(DiagnosticError) {
            let c = try compile(request)
            result.fitsNominal = true
            result.record(c, nominal: nominal)
            return result
        } catch where !error.diagnostics.contains(where: ExitStatus.isInternal) {
            result.nominalFailure = error.diagnostics.first?.message ?? "failed"
        }
        request.deployment.wafers = .auto
        do throws(DiagnosticError) {
            result.record(try compile(request), nominal: nominal)
        } catch where !error.diagnostics.contains(where: ExitStatus.isInternal) {
            result.failure = error.diagnostics.first?.message ?? "failed"
        }
        return result
    }

    /// The SHA-256 (hex) of the model file's bytes: shards of one study must read the same model. O(bytes).
    static func modelHash(_ path: String) throws(DiagnosticError) -> String {
        let maxBytes = 256 << 20
        switch BoundedFile.read(path: path, maxBytes: maxBytes) {
        case let .success(data): return SHA256.hex([UInt8](data))
        case let .failure(f): throw .error(DriverFailure.modelUnreadable, "cannot read \(path) again to fingerprint it: \(BoundedFile.reason(f, maxBytes: maxBytes))", at: nil)
        }
    }

    /// The flags that shape every compile, in one canonical order (the header's `flags`). O(flags).
    static func canonicalFlags(_ a: DeploymentArguments, options: PassOptions) -> String {
        var flags = ["--target \(a.target)"]
        if let k = a.kernels { flags.append("--kernels \(k)") }
        if let p = a.precision { flags.append("--precision \(p)") }
        flags += ["--context \(a.context)", "--batch \(a.batch)", "--kv-precision \(a.kvPrecision)"]
        if let r = a.repair { flags.append("--repair \(r)") }
        if let s = a.slot { flags.append("--slot \(s)") }
        if let p = a.prompt { flags.append("--prompt \(p)") }
        flags += PassOptionReport.changedAssignments(options).map { "--pass-option \($0)" }
        return flags.joined(separator: " ")
    }
}

extension YieldMapResult {
    init(seed: String, fitsNominal: Bool) { self.seed = seed; self.fitsNominal = fitsNominal }

    mutating func record(_ c: YieldStudy.Compiled, nominal: Int) {
        wafers = c.wafers
        extraWafers = c.wafers.map { max(0, $0 - nominal) }
        (tokensPerS, tokensPerSLow, tokensPerSHigh) = (c.tokensPerS, c.tokensPerSLow, c.tokensPerSHigh)
        (deadPes, holes) = (c.deadPes, c.holes)
    }
}

/// A progress callback shared by the study's worker threads (the CLI's is lock-protected).
private struct UncheckedProgress: @unchecked Sendable {
    let body: (String) -> Void
    init(_ body: @escaping (String) -> Void) { self.body = body }
    func callAsFunction(_ line: String) { body(line) }
}
