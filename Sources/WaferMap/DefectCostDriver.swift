import WaferFrontend
import WaferReport
import WaferSupport
import WaferTarget

extension Driver {
    /// `wafermap defects cost MODEL`: the count pipeline through the schedule (what `count
    /// --perf` runs) at each rate, uniform and clustered, on nested maps drawn from
    /// `arguments.seed` at the highest rate (`DefectGenerator.nestedMaxRate`). `rates` nil takes
    /// `DefectCostReport.defaultRates`. O(rates x one count).
    public static func defectCost(model: String, arguments: DeploymentArguments, rates: [Double]?,
                                  progress: @escaping (String) -> Void = { _ in }) throws(DiagnosticError) -> DefectCostReport {
        var flags = arguments
        (flags.defects, flags.defectRate) = (nil, nil)
        var base = try flags.countRequest(model: model)
        let spec = try ModelLoader.load(path: model)   // read once; an unreadable model fails here, located
        base.model = spec

        let rates = rates ?? DefectCostReport.defaultRates
        guard !rates.isEmpty, rates.count <= DefectCostReport.maxRates, rates.allSatisfy({ $0 >= 0 && $0 <= DefectGenerator.maxRate }) else {
            throw .error(DriverFailure.flagValue, "--rates takes 1 to \(DefectCostReport.maxRates) rates, each between 0 and \(DefectGenerator.maxRate)", at: nil)
        }
        let target = try BuiltinTargets.resolve(base.target, kernels: base.kernels)
        let mode = base.repair ?? .standard(for: target)
        let sorted = Array(Set(rates)).sorted(), top = sorted.last ?? 0
        return DefectCostReport.run(model: model, modelName: spec.name, target: target.name, seed: arguments.seed, repair: mode.rawValue, rates: sorted,
                                    count: { (rate, clustered) throws(DiagnosticError) -> CountReport in
            var request = base
            request.defects = .generate(rate: rate, seed: arguments.seed, clustered: clustered)
            request.nestedMaxRate = top > 0 ? top : nil
            return try count(request)
        }, progress: progress)
    }
}
