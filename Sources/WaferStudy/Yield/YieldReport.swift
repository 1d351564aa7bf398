import Foundation
import WaferReport
import WaferSupport

/// The yield study's report, computed from the header and every map's result (the same whether
/// the maps ran in one process or in shards): the fraction that fit on the nominal wafer count
/// with its 95% Wilson score interval, the extra wafers the others needed, and the nearest-rank
/// percentiles of tokens/s over the maps that compiled (docs/studies.md).
public struct YieldReport: Sendable, Encodable {
    /// Nearest-rank percentiles, minimum, maximum and mean of a sample.
    public struct Spread: Sendable, Encodable {
        public var min: Double, p5: Double, p50: Double, p95: Double, max: Double, mean: Double
    }
    /// Maps that needed `extraWafers` wafers beyond the nominal count.
    public struct ExtraCount: Sendable, Encodable {
        public var extraWafers: Int
        public var maps: Int
    }
    /// One map's row: its index, and its result.
    public struct MapRow: Sendable, Encodable {
        public var map: Int
        public var result: YieldMapResult
    }

    public var header: YieldHeader
    /// How the percentiles are taken.
    public var percentileMethod = "nearest-rank: the value of rank ceil(p/100 x n) in the n sorted values"
    /// Maps that compiled on the nominal wafer count, their share, and its 95% Wilson score interval.
    public var mapsFittingNominal: Int
    public var fractionFittingNominal: Double
    public var fractionFittingNominalWilson95Low: Double, fractionFittingNominalWilson95High: Double
    /// Maps that needed more wafers, by how many more (ascending; +0 not listed).
    public var extraWafers: [ExtraCount]
    /// Maps no wafer count compiled.
    public var mapsNotCompiled: Int
    /// Tokens/s per user over the maps that compiled (nil when none did).
    public var tokensPerS: Spread?
    /// Physical dead PEs per map, on the wafers its mapping used (maps that compiled).
    public var deadPesPerMap: Spread?
    public var maps: [MapRow]

    /// The report of `results` (every map, in map order). O(maps log maps).
    public init(header: YieldHeader, results: [YieldMapResult]) {
        self.header = header
        let n = results.count
        mapsFittingNominal = results.filter(\.fitsNominal).count
        fractionFittingNominal = n == 0 ? 0 : Double(mapsFittingNominal) / Double(n)
        (fractionFittingNominalWilson95Low, fractionFittingNominalWilson95High) = Self.wilson(successes: mapsFittingNominal, trials: n)
        var extra: [Int: Int] = [:]
        for r in results where !r.fitsNominal { if let e = r.extraWafers { extra[e, default: 0] += 1 } }
        extraWafers = extra.keys.sorted().map { ExtraCount(extraWafers: $0, maps: extra[$0] ?? 0) }
        mapsNotCompiled = results.filter { $0.tokensPerS == nil }.count
        tokensPerS = Self.spread(results.compactMap(\.tokensPerS))
        deadPesPerMap = Self.spread(results.compactMap { $0.deadPes.map(Double.init) })
        maps = results.enumerated().map { MapRow(map: $0.offset, result: $0.element) }
    }

    /// The 95% Wilson score interval of a binomial proportion (z = 1.959964). O(1).
    public static func wilson(successes: Int, trials: Int) -> (Double, Double) {
        guard trials > 0 else { return (0, 1) }
        let z = 1.959963984540054, n = Double(trials), p = Double(successes) / n
        let denominator = 1 + z * z / n
        let center = (p + z * z / (2 * n)) / denominator
        let half = z / denominator * (p * (1 - p) / n + z * z / (4 * n * n)).squareRoot()
        return (Swift.max(0, center - half), Swift.min(1, center + half))
    }

    /// The nearest-rank `p`-th percentile (0...100) of `sorted` (ascending, non-empty): the value
    /// of rank ceil(p x n / 100), in integers so no rounding moves a rank. O(1).
    public static func percentile(_ p: Int, of sorted: [Double]) -> Double {
        let rank = (p * sorted.count + 99) / 100
        return sorted[Swift.min(Swift.max(rank, 1), sorted.count) - 1]
    }

    static func spread(_ values: [Double]) -> Spread? {
        guard !values.isEmpty else { return nil }
        let s = values.sorted()
        return Spread(min: s[0], p5: percentile(5, of: s), p50: percentile(50, of: s), p95: percentile(95, of: s), max: s[s.count - 1],
                      mean: values.reduce(0, +) / Double(values.count))
    }

    public func json() -> String { JSONOutput.render(self) }

    /// The rendering the header's format asks for.
    public func rendered() -> String { header.format == .json ? json() : text() }

    /// The table text. O(maps).
    public func text() -> String {
        let h = header
        let per = h.repair == "spare-rows" ? "per physical PE" : "per PE"
        let n = maps.count
        var out = "yield       \(h.model) on \(h.target): \(Units.count(n, "defect map")), \(h.defectModel) rate \(Units.decimal(h.defectRate)) dead PEs \(per), base seed \(h.seed), repair \(h.repair)\n"
        out += "flags       \(h.flags)\n"
        out += "model file  sha256 \(h.modelSha256)\n"
        out += "nominal     \(Units.count(h.nominalWafers, "wafer")): the fewest without defects, \(Units.fixed(h.defectFreeTokensPerS, digits: 1)) tokens/s per user (range \(Units.fixed(h.defectFreeTokensPerSLow, digits: 0))-\(Units.fixed(h.defectFreeTokensPerSHigh, digits: 0)))\n"
        out += "fit         \(mapsFittingNominal) of \(Units.count(n, "map")) fit on \(Units.count(h.nominalWafers, "wafer")): \(percent(fractionFittingNominal)) (95% Wilson score interval \(percent(fractionFittingNominalWilson95Low))-\(percent(fractionFittingNominalWilson95High)))\n"
        let extras = extraWafers.map { "+\(Units.count($0.extraWafers, "wafer")): \(Units.count($0.maps, "map"))" }
        out += "extra       " + (extras.isEmpty ? "no map needed extra wafers" : extras.joined(separator: ", ")) + "; \(Units.count(mapsNotCompiled, "map")) compiled on no wafer count\n"
        if let t = tokensPerS {
            out += "tokens/s    per user, over the \(Units.count(n - mapsNotCompiled, "map")) that compiled (nearest-rank percentiles): min \(Units.fixed(t.min, digits: 1)), p5 \(Units.fixed(t.p5, digits: 1)), p50 \(Units.fixed(t.p50, digits: 1)), p95 \(Units.fixed(t.p95, digits: 1)), max \(Units.fixed(t.max, digits: 1)), mean \(Units.fixed(t.mean, digits: 1))\n"
            out += "            p50 is \(percent(t.p50 / Swift.max(h.defectFreeTokensPerS, 1e-12))) of the defect-free \(Units.fixed(h.defectFreeTokensPerS, digits: 1)) tokens/s\n"
        } else {
            out += "tokens/s    no map compiled\n"
        }
        if let d = deadPesPerMap {
            out += "dead PEs    per map on the wafers its mapping used: min \(Units.grouped(Int(d.min))), p50 \(Units.grouped(Int(d.p50))), max \(Units.grouped(Int(d.max))), mean \(Units.fixed(d.mean, digits: 1))\n"
        }
        let slowest = maps.filter { $0.result.tokensPerS != nil }.sorted { ($0.result.tokensPerS ?? 0, $0.map) < ($1.result.tokensPerS ?? 0, $1.map) }.prefix(3)
        for (k, row) in slowest.enumerated() {
            let r = row.result
            out += (k == 0 ? "slowest     " : "            ") + "map \(row.map) (seed \(r.seed)): \(Units.fixed(r.tokensPerS ?? 0, digits: 1)) tokens/s on \(Units.count(r.wafers ?? 0, "wafer")), \(Units.grouped(r.deadPes ?? 0)) dead PEs, \(Units.grouped(r.holes ?? 0)) holes\n"
        }
        for row in maps.filter({ $0.result.failure != nil }).prefix(3) {
            out += "failed      map \(row.map) (seed \(row.result.seed)): \(row.result.failure ?? "")\n"
        }
        out += "reproduce   map i: wafermap compile MODEL \(h.flags) --defect-rate \(Units.decimal(h.defectRate))\(h.defectModel == "clustered" ? " --clustered" : "") --seed <map i's seed> --wafers <its wafers> (seeds: --format json)\n"
        return out
    }

    private func percent(_ fraction: Double) -> String { Units.fixed(fraction * 100, digits: 1) + "%" }
}

extension YieldStudy {
    /// `wafermap merge`'s entry for yield partials (StudyKinds): the merged report, rendered in the header's format.
    static let merger: StudyMerge.Merger = { parts throws(DiagnosticError) in try merge(parts).rendered() }

    /// The merged report of yield partials `(file, bytes)`: exactly what the unsharded run
    /// renders. Refuses corrupt files (located), other studies or requests, missing or repeated
    /// shards. O(total bytes + maps log maps).
    public static func merge(_ parts: [(file: String, data: Data)]) throws(DiagnosticError) -> YieldReport {
        var decoded: [(file: String, partial: YieldPartial)] = []
        for part in parts { decoded.append((part.file, try YieldPartial.decode(part.data, file: part.file, study: kind))) }
        let (header, results) = try YieldPartial.merge(decoded)
        return YieldReport(header: header, results: results)
    }

    /// The merged report of the yield partial files at `paths` (`merge --svg`); refuses another study's parts. O(total bytes).
    public static func merge(paths: [String]) throws(DiagnosticError) -> YieldReport {
        var parts: [(file: String, data: Data)] = []
        for path in paths {
            let (data, study) = try StudyPartialFile.read(path)
            guard study == kind else {
                throw .error(DriverFailure.flagConflict, "--svg draws yield studies only; \(path) is a partial result of a \(study) study", at: .startOf(path))
            }
            parts.append((path, data))
        }
        return try merge(parts)
    }

    /// The report of a whole run, read back through the partial format so that it is byte for
    /// byte what `merge` renders from shards. O(maps).
    public static func report(of partial: YieldPartial) throws(DiagnosticError) -> YieldReport {
        try merge([(file: "(this run)", data: Data(JSONOutput.render(partial).utf8))])
    }
}
