/// A plain-text table with aligned columns: left for text, right for numbers.
public struct TextTable: Sendable {
    public enum Alignment: Sendable { case left, right }
    public var headers: [String]
    public var alignments: [Alignment]
    public var rows: [[String]] = []

    public init(_ columns: [(String, Alignment)]) {
        headers = columns.map(\.0)
        alignments = columns.map(\.1)
    }

    public mutating func add(_ row: [String]) { rows.append(row) }

    /// Renders with two spaces between columns and a rule under the header. O(cells).
    public func render(indent: String = "  ") -> String {
        var widths = headers.map(\.count)
        for row in rows {
            for (index, cell) in row.enumerated() where index < widths.count {
                widths[index] = max(widths[index], cell.count)
            }
        }
        func line(_ cells: [String]) -> String {
            var parts: [String] = []
            for (index, width) in widths.enumerated() {
                let cell = index < cells.count ? cells[index] : ""
                let pad = String(repeating: " ", count: width - cell.count)
                parts.append(alignments[index] == .left ? cell + pad : pad + cell)
            }
            var text = indent + parts.joined(separator: "  ")
            while text.hasSuffix(" ") { text.removeLast() }
            return text
        }
        var out = [line(headers), indent + widths.map { String(repeating: "-", count: $0) }.joined(separator: "  ")]
        out += rows.map(line)
        return out.joined(separator: "\n") + "\n"
    }
}
