import WaferPasses
import WaferSupport

/// One knob as the compile report and `sweep` record it: its key, the value used, the default
/// and the unit. JSON keys `key`, `value`, `default_value`, `unit`; a value is a number or a list.
public struct PassOptionSetting: Sendable, Hashable, Encodable {
    public var key: String
    public var value: PassOptionValue
    public var defaultValue: PassOptionValue
    public var unit: String
}

/// Renderings of the algorithm knobs (`PassOptions`, docs/pass-options.md): the listing of
/// `wafermap pass-options`, the report's record of the values used, the summary's line of the
/// changed ones. O(knobs) each.
public enum PassOptionReport {
    /// Every knob with the value `options` gives it, in the order of `PassOptions.knobs`.
    public static func settings(_ options: PassOptions) -> [PassOptionSetting] {
        options.values.map { PassOptionSetting(key: $0.knob.key, value: $0.value, defaultValue: $0.knob.defaultValue, unit: $0.knob.unit) }
    }

    /// The knobs `options` changes, as `--pass-option` arguments (`place.steps=400`); empty
    /// for the defaults.
    public static func changedAssignments(_ options: PassOptions) -> [String] {
        options.changed.map { "\($0.knob.key)=\($0.value)" }
    }

    /// The listing: one row per knob with its type, unit, default, range and reason.
    public static func table() -> String {
        var t = TextTable([("knob", .left), ("type", .left), ("unit", .left), ("default", .right), ("range", .left), ("what, and why the default", .left)])
        for knob in PassOptions.knobs {
            t.add([knob.key, knob.typeName, knob.unit, knob.defaultValue.description, knob.range, knob.summary])
        }
        return t.render(indent: "")
    }

    /// The listing as JSON: `{"knobs": [{key, section, name, type, unit, default_value, range, summary}]}`.
    public static func json() -> String {
        struct Row: Encodable {
            var key, section, name, type, unit: String
            var defaultValue: PassOptionValue
            var range, summary: String
        }
        struct Listing: Encodable { var knobs: [Row] }
        return JSONOutput.render(Listing(knobs: PassOptions.knobs.map {
            Row(key: $0.key, section: $0.section, name: $0.name, type: $0.typeName, unit: $0.unit, defaultValue: $0.defaultValue,
                range: $0.range, summary: $0.summary)
        }))
    }
}
