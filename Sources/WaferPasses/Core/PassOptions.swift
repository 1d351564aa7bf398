import WaferSupport

/// Every algorithm's knobs, one typed config per algorithm, as nextpnr's `Placer1Cfg` /
/// `Router2Cfg`. It travels in `PassContext.options`, so a pipeline run uses the values the user
/// gave (`--pass-option SECTION.KNOB=VALUE`, `--pass-options FILE`); `PassOptions()` is today's
/// behaviour exactly. The knobs, their units, defaults, ranges and reasons are listed by
/// `PassOptions.knobs` and in docs/pass-options.md.
public struct PassOptions: Sendable, Hashable {
    /// The partition search (section `partition`).
    public var partition = PartitionConfig()
    /// The tile pass's grid search (section `tile`).
    public var tile = TileConfig()
    /// The simulated-annealing placer (section `place`).
    public var place = PlaceConfig()
    /// The PathFinder router (section `route`).
    public var route = RouteConfig()
    /// Colour assignment of exception routes (section `color`).
    public var color = ColorConfig()

    public init() {}

    /// The sections in pipeline order, as `SECTION.KNOB` keys name them.
    public static let sections = ["partition", "tile", "place", "route", "color"]

    /// The value of the knob `key` (`place.steps`), or nil for an unknown key. O(knobs).
    public func value(of key: String) -> PassOptionValue? {
        Self.knob(key).map { $0.read(self) }
    }

    /// Every knob with its value here, in the order of `knobs`. O(knobs).
    public var values: [(knob: PassOptionKnob, value: PassOptionValue)] {
        Self.knobs.map { ($0, $0.read(self)) }
    }

    /// The knobs whose value differs from the default, in the order of `knobs`. O(knobs).
    public var changed: [(knob: PassOptionKnob, value: PassOptionValue)] {
        values.filter { $0.value != $0.knob.defaultValue }
    }

    /// The knob named `key`, or nil. O(knobs).
    public static func knob(_ key: String) -> PassOptionKnob? {
        knobs.first { $0.key == key }
    }

    /// Sets knob `key` to `value` after checking its type and range and the config's
    /// cross-knob rules. Throws `PassOptionError`; leaves `self` unchanged on error. O(knobs).
    public mutating func set(_ key: String, to value: PassOptionValue) throws(PassOptionError) {
        guard let knob = Self.knob(key) else { throw Self.unknownKey(key) }
        try knob.check(value)
        var copy = self
        knob.write(&copy, value)
        if let problem = copy.inconsistency { throw .inconsistent(problem) }
        self = copy
    }

    /// The first broken cross-knob rule (falling acceptance thresholds, rising spare columns),
    /// or nil. O(knobs).
    public var inconsistency: String? {
        place.inconsistency ?? tile.inconsistency
    }

    /// The error for an unknown key: an unknown section, or an unknown knob of a known section,
    /// each with the nearest name. O(knobs).
    public static func unknownKey(_ key: String) -> PassOptionError {
        let parts = key.split(separator: ".", maxSplits: 1, omittingEmptySubsequences: false).map(String.init)
        let section = parts[0]
        guard sections.contains(section), parts.count == 2 else {
            let guess = parts.count == 2 ? Suggest.closest(to: section, in: sections) : Suggest.closest(to: key, in: knobs.map(\.key))
            return .unknownSection(key: key, suggestion: guess)
        }
        let names = knobs.filter { $0.section == section }.map(\.name)
        return .unknownKnob(key: key, suggestion: Suggest.closest(to: parts[1], in: names).map { "\(section).\($0)" }, known: names)
    }
}
