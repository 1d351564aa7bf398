import Foundation
import WaferIR
import WaferPasses
import WaferSupport

/// `wafermap stats` output: a table for people and JSON for tools.
public enum StatsReport {
    public static func table(_ s: ModelStatistics, graph: Graph) -> String {
        var out = ""
        out += "model       \(s.model) (\(graph.sourceFile))\n"
        out += "structure   \(Units.count(s.layers, "decoder layer")), \(Units.count(s.ops, "op")), \(Units.count(s.tensors, "weight tensor"))\n"
        out += "parameters  \(Units.grouped(s.totalParameters)) (\(Units.shortCount(s.totalParameters)))\n"
        out += "active      \(Units.grouped(s.activeParameters)) (\(Units.shortCount(s.activeParameters))) per token, input embedding included\n"
        out += "            \(Units.grouped(s.activeParametersExcludingEmbedding)) (\(Units.shortCount(s.activeParametersExcludingEmbedding))) per token, input embedding excluded\n"
        let moe = graph.ops.compactMap { op -> MoEAttributes? in if case let .moe(a) = op.kind { return a } else { return nil } }
        if let first = moe.first {
            out += "            (MoE: top-\(first.topK) of \(first.experts) routed experts per layer; shared experts, routers and dense weights in full)\n"
        }
        out += "weights     \(Units.grouped(s.weightBytes)) bytes = \(Units.gigabytes(s.weightBytes)) = \(Units.gibibytes(s.weightBytes))"
        out += " (values \(Units.grouped(s.valueBytes)) B + scales \(Units.grouped(s.scaleBytes)) B)\n"
        if let l = s.largest {
            out += "largest     \(l.name) [\(l.shape.map(String.init).joined(separator: "x"))] \(l.format): \(Units.grouped(l.parameters)) params, \(Units.grouped(l.bytes)) B\n"
        }
        out += "precision   \(graph.precision.description)\n"
        if !graph.unmappedModules.isEmpty {
            for module in graph.unmappedModules {
                out += "not mapped  \(module.name): \(Units.grouped(module.parameters)) params (\(Units.shortCount(module.parameters))), "
                out += "\(Units.grouped(module.bytes)) bytes = \(Units.gigabytes(module.bytes))\n"
                out += "            (\(module.description))\n"
            }
            let all = checkpointTotals(s, graph: graph)
            out += "checkpoint  \(Units.grouped(all.parameters)) params (\(Units.shortCount(all.parameters))), "
            out += "\(Units.grouped(all.bytes)) bytes = \(Units.gigabytes(all.bytes)) with the modules above\n"
        }

        out += "\nby precision\n"
        var formats = TextTable([("format", .left), ("tensors", .right), ("parameters", .right),
                                 ("value bytes", .right), ("scale bytes", .right), ("total bytes", .right), ("GB", .right)])
        for row in s.byFormat {
            formats.add([row.format, "\(row.tensors)", Units.grouped(row.parameters), Units.grouped(row.valueBytes),
                         Units.grouped(row.scaleBytes), Units.grouped(row.bytes), Units.fixed(Double(row.bytes) / Units.bytesPerGB, digits: 3)])
        }
        out += formats.render()

        out += "\nby layer kind\n"
        out += groupTable(s.byKind, first: "kind", countHeader: "ops")
        out += "\nby weight role\n"
        out += groupTable(s.byRole, first: "role", countHeader: "ops")
        return out
    }

    /// The model plus its unmapped modules: what the whole checkpoint holds. Saturates at
    /// `Int.max` (the front end's limits keep real totals far below).
    static func checkpointTotals(_ s: ModelStatistics, graph: Graph) -> (parameters: Int, bytes: Int) {
        var parameters = s.totalParameters, bytes = s.weightBytes
        for module in graph.unmappedModules {
            parameters = Checked.add(parameters, module.parameters) ?? Int.max
            bytes = Checked.add(bytes, module.bytes) ?? Int.max
        }
        return (parameters, bytes)
    }

    static func groupTable(_ rows: [ModelStatistics.GroupRow], first: String, countHeader: String) -> String {
        var table = TextTable([(first, .left), (countHeader, .right), ("tensors", .right), ("parameters", .right),
                               ("active / token", .right), ("bytes", .right), ("GB", .right)])
        for row in rows {
            table.add([row.name, "\(row.ops)", "\(row.tensors)", Units.grouped(row.parameters), Units.grouped(row.activeParameters),
                       Units.grouped(row.bytes), Units.fixed(Double(row.bytes) / Units.bytesPerGB, digits: 3)])
        }
        return table.render()
    }

    /// The JSON form. Keys are stable and documented in docs/model-format.md; counts are exact
    /// integers, byte sizes are bytes.
    public static func json(_ s: ModelStatistics, graph: Graph) -> String {
        struct Group: Encodable {
            var name: String; var ops: Int; var tensors: Int; var params: Int; var activeParams: Int; var bytes: Int
        }
        struct Format: Encodable {
            var format: String; var tensors: Int; var params: Int; var valueBytes: Int; var scaleBytes: Int; var bytes: Int
        }
        struct Unmapped: Encodable {
            var name: String; var description: String; var params: Int; var bytes: Int
        }
        struct Largest: Encodable {
            var name: String; var shape: [Int]; var format: String; var params: Int; var bytes: Int
        }
        struct Report: Encodable {
            var model: String
            var source: String
            var decoderLayers: Int
            var ops: Int
            var tensors: Int
            var totalParams: Int
            var activeParams: Int
            var activeParamsExclEmbedding: Int
            var activeParamsConvention: String
            var inputEmbeddingParams: Int
            var weightBytes: Int
            var weightValueBytes: Int
            var weightScaleBytes: Int
            var precision: String
            var bytesByPrecision: [Format]
            var byKind: [Group]
            var byRole: [Group]
            var largestTensor: Largest?
            var unmappedModules: [Unmapped]
            var checkpointParams: Int
            var checkpointBytes: Int
        }
        let all = checkpointTotals(s, graph: graph)
        let report = Report(
            model: s.model, source: graph.sourceFile, decoderLayers: s.layers, ops: s.ops, tensors: s.tensors,
            totalParams: s.totalParameters, activeParams: s.activeParameters,
            activeParamsExclEmbedding: s.activeParametersExcludingEmbedding,
            activeParamsConvention: "top_k routed experts per MoE layer plus every other weight; active_params includes the input embedding, active_params_excl_embedding does not",
            inputEmbeddingParams: s.inputEmbeddingParameters,
            weightBytes: s.weightBytes, weightValueBytes: s.valueBytes, weightScaleBytes: s.scaleBytes,
            precision: graph.precision.description,
            bytesByPrecision: s.byFormat.map { Format(format: $0.format, tensors: $0.tensors, params: $0.parameters, valueBytes: $0.valueBytes, scaleBytes: $0.scaleBytes, bytes: $0.bytes) },
            byKind: s.byKind.map { Group(name: $0.name, ops: $0.ops, tensors: $0.tensors, params: $0.parameters, activeParams: $0.activeParameters, bytes: $0.bytes) },
            byRole: s.byRole.map { Group(name: $0.name, ops: $0.ops, tensors: $0.tensors, params: $0.parameters, activeParams: $0.activeParameters, bytes: $0.bytes) },
            largestTensor: s.largest.map { Largest(name: $0.name, shape: $0.shape, format: $0.format, params: $0.parameters, bytes: $0.bytes) },
            unmappedModules: graph.unmappedModules.map { Unmapped(name: $0.name, description: $0.description, params: $0.parameters, bytes: $0.bytes) },
            checkpointParams: all.parameters, checkpointBytes: all.bytes)
        return JSONOutput.render(report)
    }
}

/// `--timing` output: one row per step, as MLIR's pass timing report does.
public enum TimingReport {
    /// `wallSeconds`: the run's real wall time when some steps ran at the same time (compile's
    /// plan write and read-back beside the checks); the table then adds a `wall` row and
    /// shares are of the summed step times.
    public static func render(_ timings: [StepTiming], wallSeconds: Double? = nil) -> String {
        let total = timings.reduce(0) { $0 + $1.seconds }
        var table = TextTable([("step", .left), ("wall ms", .right), ("share", .right), ("peak RSS MiB", .right)])
        for t in timings {
            table.add([t.name, Units.fixed(t.seconds * 1000, digits: 3), total > 0 ? Units.fixed(t.seconds / total * 100, digits: 1) + "%" : "-",
                       Units.fixed(Double(t.peakResidentBytes) / 1_048_576, digits: 1)])
        }
        let peak = Units.fixed(Double(timings.map(\.peakResidentBytes).max() ?? 0) / 1_048_576, digits: 1)
        table.add([wallSeconds == nil ? "total" : "sum of steps", Units.fixed(total * 1000, digits: 3), "100.0%", peak])
        if let wallSeconds { table.add(["wall (steps overlap)", Units.fixed(wallSeconds * 1000, digits: 3), "", peak]) }
        return "===-------------------------------------------===\n  Pass execution timing report\n===-------------------------------------------===\n" + table.render()
    }
}
