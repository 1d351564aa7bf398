import WaferReport
import WaferSupport

/// One deterministic slice of a study (`--shard K/N`): the work items `i` with
/// `i mod N == K - 1`. Round-robin rather than contiguous blocks, so that slow items (large
/// wafer counts at the end of a sweep, say) spread over all shards. The slices of `1/N ...
/// N/N` partition `0..<items` exactly, whatever the item count. O(1) to test an item.
public struct ShardSpec: Sendable, Hashable, Codable, CustomStringConvertible {
    /// K, 1-based.
    public let index: Int
    /// N: how many shards the study is cut into.
    public let count: Int

    /// The whole study in one piece.
    public static let whole = ShardSpec(checkedIndex: 1, count: 1)
    /// The most shards a study is cut into (a 1,000-map yield study on 1,000 hosts fits).
    public static let maxCount = 100_000

    init(checkedIndex index: Int, count: Int) { self.index = index; self.count = count }

    /// Parses `K/N` with `1 <= K <= N <= maxCount`.
    public init(parsing text: String) throws(DiagnosticError) {
        let parts = text.split(separator: "/", omittingEmptySubsequences: false)
        guard parts.count == 2, let k = Int(parts[0]), let n = Int(parts[1]) else {
            throw .error(DriverFailure.shardFlag, "--shard \(Diagnostic.quoted(text)) is not K/N (for example 3/8: the third of eight slices)", at: nil)
        }
        guard (1...Self.maxCount).contains(n), (1...n).contains(k) else {
            throw .error(DriverFailure.shardFlag, "--shard \(text): need 1 <= K <= N <= \(Units.grouped(Self.maxCount))", at: nil)
        }
        self.init(checkedIndex: k, count: n)
    }

    public var description: String { "\(index)/\(count)" }

    /// Whether item `item` of the study is this shard's. O(1).
    public func owns(_ item: Int) -> Bool { item >= 0 && item % count == index - 1 }

    /// This shard's items of `0..<items`, in order. O(items / count).
    public func items(of items: Int) -> [Int] { Array(stride(from: index - 1, to: max(items, 0), by: count)) }
}
