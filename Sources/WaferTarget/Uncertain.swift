import WaferSupport
import WaferYAML

/// A constant that is not published: its central value and the documented range it may lie in
/// (`low <= value <= high`). A published constant is `exact`: all three equal. Performance
/// outputs print the central prediction with the low and high bounds the ranges give
/// (docs/performance-model.md, "Uncertainty").
public struct Uncertain: Sendable, Hashable, Codable {
    public var value: Double
    public var low: Double
    public var high: Double

    public init(_ value: Double, low: Double, high: Double) {
        self.value = value; self.low = low; self.high = high
    }

    public static func exact(_ value: Double) -> Uncertain { Uncertain(value, low: value, high: value) }

    /// `central` with the range its alternatives span (it included): what refits or folds of a
    /// fit under other assumptions give. O(alternatives).
    public static func spread(_ central: Double, _ alternatives: [Double]) -> Uncertain {
        Uncertain(central, low: min(central, alternatives.min() ?? central), high: max(central, alternatives.max() ?? central))
    }

    /// Whether the range is wider than a point.
    public var isUncertain: Bool { low < high }

    /// The value at one end of the range, or the central one.
    public func at(_ bound: Bound) -> Double {
        switch bound {
        case .value: return value
        case .low: return low
        case .high: return high
        }
    }

    /// Which value of a range an evaluation takes.
    public enum Bound: String, Sendable, Hashable, CaseIterable { case value, low, high }

    /// `12` or `12 (8-20)`, with `digits` decimals.
    public func text(digits: Int = 0) -> String {
        let v = Units.fixed(value, digits: digits)
        return isUncertain ? "\(v) (\(Units.fixed(low, digits: digits))-\(Units.fixed(high, digits: digits)))" : v
    }
}

extension YAMLNode {
    /// A number, or a mapping `{value: V, low: L, high: H}` giving its documented range, each in
    /// `range`, with `low <= value <= high`. A plain number has no range. O(1).
    public func uncertain(_ what: String, in range: ClosedRange<Double>) throws(DiagnosticError) -> Uncertain {
        guard case .mapping = kind else { return .exact(try number(what, in: range)) }
        var map = try MappingReader(self, context: what)
        let key = what.hasPrefix("'") && what.hasSuffix("'") ? String(what.dropFirst().dropLast()) : what
        let value = try map.required("value").number("'\(key).value'", in: range)
        let lowNode = try map.required("low"), highNode = try map.required("high")
        let low = try lowNode.number("'\(key).low'", in: range)
        let high = try highNode.number("'\(key).high'", in: range)
        try map.finish()
        guard low <= value, value <= high else {
            throw .error(TargetFailure.rangeOrder, "\(what) needs low <= value <= high, found low \(low), value \(value), high \(high)", at: lowNode.location)
        }
        return Uncertain(value, low: low, high: high)
    }
}
