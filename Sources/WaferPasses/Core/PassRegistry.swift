import WaferSupport

/// Every pass WaferMap has, in pipeline order. The one explicit list: the driver builds
/// pipelines from it, the CLI validates pass names against it, and a test enumerates it.
public enum PassRegistry {
    public static let all: [any Pass] = [
        AssignPrecision(),
        PartitionPass(),
        TilePass(),
        PlacePass(),
        RoutePass(),
        SchedulePass(),
    ]

    /// The passes `stats` runs: everything before the target matters.
    public static var frontHalf: [any Pass] { [AssignPrecision()] }

    /// The pipeline from the first pass through `name`. Throws (the same error as `validate`,
    /// with a did-you-mean) when no pass has that name: a misspelt `--stop-after` must not run
    /// everything. O(passes).
    public static func pipeline(through name: String) throws(DiagnosticError) -> [any Pass] {
        guard let index = all.firstIndex(where: { $0.name == name }) else { throw unknownPass(name, flag: "pipeline through") }
        return Array(all[...index])
    }

    public static func pass(named name: String) -> (any Pass)? {
        all.first { $0.name == name }
    }

    /// Checks a user-given pass name, with a did-you-mean for near misses.
    public static func validate(_ name: String, flag: String) throws(DiagnosticError) {
        guard pass(named: name) == nil else { return }
        throw unknownPass(name, flag: flag)
    }

    /// The error for a pass name no pass has: a did-you-mean and the list of passes. O(passes).
    static func unknownPass(_ name: String, flag: String) -> DiagnosticError {
        var notes: [Diagnostic] = []
        if let s = Suggest.closest(to: name, in: all.map(\.name)) { notes.append(.note("did you mean '\(s)'?")) }
        notes.append(.note("passes: \(all.map(\.name).joined(separator: ", "))"))
        return .error(PassFailure.unknownPass, "\(flag): unknown pass '\(name)'", at: nil, notes: notes)
    }
}
