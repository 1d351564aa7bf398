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
        var result = 1
        for value in values {
            guard let next = mul(result, value) else { return nil }
            result = next
        }
        return result
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
        var result = 0
        for value in values {
            guard let next = add(result, value) else { return nil }
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
