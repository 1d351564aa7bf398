extension Units {
    /// `n` and a noun, singular for exactly one: `count(1, "wafer")` is "1 wafer",
    /// `count(3, "wafer")` "3 wafers", `count(1_024, "token")` "1,024 tokens". `plural`
    /// defaults to the singular plus "s".
    public static func count(_ n: Int, _ singular: String, plural: String? = nil) -> String {
        "\(grouped(n)) \(n == 1 ? singular : plural ?? singular + "s")"
    }

    /// A rate, fraction or other measured decimal for people to read, with at most
    /// `significant` significant digits and no trailing zeros, so a value computed in binary
    /// never shows its noise: 0.0012 / 10 prints as `0.00012`, not `0.00011999999999999999`.
    /// Values from 1e-12 to 1e15 print in plain decimal; others (and inf, nan) as Swift does.
    /// Locale-independent (built on `fixed`).
    public static func decimal(_ value: Double, significant: Int = 6) -> String {
        guard value.isFinite, value != 0 else { return value == 0 ? "0" : fixed(value, digits: 0) }
        let magnitude = value.magnitude
        guard magnitude >= 1e-12, magnitude < 1e15 else { return "\(value)" }
        var exponent = 0, scaled = magnitude
        while scaled >= 10 { scaled /= 10; exponent += 1 }
        while scaled < 1 { scaled *= 10; exponent -= 1 }
        let digits = min(max(0, max(significant, 1) - 1 - exponent), 18)
        var text = fixed(value, digits: digits)
        if text.contains(".") {
            while text.hasSuffix("0") { text.removeLast() }
            if text.hasSuffix(".") { text.removeLast() }
        }
        return text == "-0" ? "0" : text
    }
}
