/// Overflow-checked integer arithmetic for sizes derived from user input.
///
/// Every product of model dimensions goes through these: a hostile file with `hidden_size:
/// 4000000000` must be reported, never wrap or trap.
public enum Checked {
    /// `a * b`, or nil when it overflows `Int`.
    @inlinable
    public static func mul(_ a: Int, _ b: Int) -> Int? {
        let (value, overflow) = a.multipliedReportingOverflow(by: b)
        return overflow ? nil : value
    }

    /// The product of all `values`, or nil when any partial product overflows. Empty product is 1.
    @inlinable
    public static func product(_ values: [Int]) -> Int? {
        fold(values, from: 1, mul)
    }

    /// `a + b`, or nil when it overflows `Int`.
    @inlinable
    public static func add(_ a: Int, _ b: Int) -> Int? {
        let (value, overflow) = a.addingReportingOverflow(b)
        return overflow ? nil : value
    }

    /// The sum of all `values`, or nil on overflow.
    @inlinable
    public static func sum(_ values: [Int]) -> Int? {
        fold(values, from: 0, add)
    }

    /// `values` combined left to right from `initial` by `combine`, or nil as soon as one step
    /// overflows. O(values).
    @inlinable
    static func fold(_ values: [Int], from initial: Int, _ combine: (Int, Int) -> Int?) -> Int? {
        var result = initial
        for value in values {
            guard let next = combine(result, value) else { return nil }
            result = next
        }
        return result
    }

    /// `ceil(a / b)` for `a >= 0`, `b > 0`.
    @inlinable
    public static func ceilDiv(_ a: Int, _ b: Int) -> Int {
        a / b + (a % b == 0 ? 0 : 1)
    }
}
