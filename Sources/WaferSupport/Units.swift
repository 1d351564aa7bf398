/// Formatting of counts and byte sizes with the unit always spelled out.
///
/// WaferMap never prints a bare "GB" that could mean GiB: `GB` is 10^9 bytes, `GiB` is 2^30.
public enum Units {
    public static let bytesPerGB = 1_000_000_000.0
    public static let bytesPerGiB = 1_073_741_824.0

    /// `8030261248` -> `8,030,261,248`.
    public static func grouped(_ value: Int) -> String {
        let negative = value < 0
        let digits = String(value.magnitude)
        var out: [Character] = []
        out.reserveCapacity(digits.count + digits.count / 3)
        for (index, character) in digits.enumerated() {
            if index > 0 && (digits.count - index) % 3 == 0 { out.append(",") }
            out.append(character)
        }
        return (negative ? "-" : "") + String(out)
    }

    /// A parameter count in the style model cards use: `8.03B`, `1.03T`, `46.7M`.
    public static func shortCount(_ value: Int) -> String {
        scaled(value, suffixes: ["K", "M", "B", "T"], separator: "") ?? String(value)
    }

    /// `value` over the largest power of 1,000 (up to 10^12) it reaches, with two decimals and
    /// that power's suffix (`suffixes[k - 1]` for 1,000^k); nil below 1,000. O(1).
    static func scaled(_ value: Int, suffixes: [String], separator: String) -> String? {
        var power = 0
        var divisor = 1.0
        while power < suffixes.count && Double(value.magnitude) >= divisor * 1000 {
            power += 1
            divisor *= 1000
        }
        guard power > 0 else { return nil }
        return fixed(Double(value) / divisor, digits: 2) + separator + suffixes[power - 1]
    }

    /// Bytes in decimal gigabytes with the unit: `16.06 GB`.
    public static func gigabytes(_ bytes: Int, digits: Int = 2) -> String {
        fixed(Double(bytes) / bytesPerGB, digits: digits) + " GB"
    }

    /// Bytes in binary gibibytes with the unit: `14.96 GiB`.
    public static func gibibytes(_ bytes: Int, digits: Int = 2) -> String {
        fixed(Double(bytes) / bytesPerGiB, digits: digits) + " GiB"
    }

    /// A human byte size picking B, KB, MB, GB or TB (decimal units, labelled as such).
    public static func bytes(_ bytes: Int) -> String {
        scaled(bytes, suffixes: ["KB", "MB", "GB", "TB"], separator: " ") ?? "\(bytes) B"
    }

    /// A fixed-point rendering that does not depend on the C locale (no `String(format:)`).
    public static func fixed(_ value: Double, digits: Int) -> String {
        guard value.isFinite else { return value.isNaN ? "nan" : (value < 0 ? "-inf" : "inf") }
        var scale = 1.0
        for _ in 0..<digits { scale *= 10 }
        let negative = value < 0
        let scaled = (value.magnitude * scale).rounded(.toNearestOrEven)
        guard scaled < 9.0e18 else { return (negative ? "-" : "") + String(value.magnitude) }
        let integer = UInt64(scaled)
        let whole = integer / UInt64(scale)
        let fraction = integer % UInt64(scale)
        var text = String(whole)
        if digits > 0 {
            var fractionText = String(fraction)
            while fractionText.count < digits { fractionText = "0" + fractionText }
            text += "." + fractionText
        }
        return (negative && integer != 0 ? "-" : "") + text
    }
}
