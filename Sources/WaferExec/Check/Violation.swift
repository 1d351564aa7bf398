/// One thing the executor found wrong with a plan, naming the element it concerns.
public struct Violation: Sendable, Equatable, Codable {
    /// What kind of rule it breaks.
    public enum Category: String, Sendable, Codable, CaseIterable {
        case plan, placement, memory, route, color, capacity, schedule, numeric, fault
    }
    public var category: Category
    public var message: String
    public init(_ category: Category, _ message: String) { self.category = category; self.message = message }
}

/// Collects violations, keeping the first `limit` messages per category and counting the rest.
public struct ViolationLog: Sendable {
    public private(set) var items: [Violation] = []
    public private(set) var counts: [Violation.Category: Int] = [:]
    public let limit: Int
    public init(limit: Int = 25) { self.limit = limit }

    public mutating func add(_ category: Violation.Category, _ message: String) {
        counts[category, default: 0] += 1
        if (counts[category] ?? 0) <= limit { items.append(Violation(category, message)) }
    }

    public var total: Int { counts.values.reduce(0, +) }
    public var isEmpty: Bool { total == 0 }

    public mutating func merge(_ other: ViolationLog) {
        for v in other.items where items.lazy.filter({ $0.category == v.category }).count < limit { items.append(v) }
        for (c, n) in other.counts { counts[c, default: 0] += n }
    }
}

/// "(x, y)" for a PE id on a fabric `width` PEs wide.
func pe(_ id: Int, _ width: Int) -> String { "(\(id % max(width, 1)), \(id / max(width, 1)))" }
