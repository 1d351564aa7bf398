/// Resource limits that keep hostile documents from costing time or memory.
///
/// Every limit is checked while libyaml streams events, before the document grows: a "billion
/// laughs" file is rejected at the alias that would cross `maxNodes`, never expanded.
public struct YAMLLimits: Sendable, Hashable {
    /// Largest input accepted, in bytes. Model descriptions are a few KB; 16 MiB is generous.
    public var maxFileBytes: Int
    /// Deepest nesting of lists and mappings. Model files nest about six deep.
    public var maxDepth: Int
    /// Most nodes the document may stand for once every alias and merge key is counted as
    /// the nodes it expands to.
    public var maxNodes: Int
    /// Longest scalar accepted, in bytes.
    public var maxScalarBytes: Int

    public init(maxFileBytes: Int = 16 << 20, maxDepth: Int = 64, maxNodes: Int = 1_000_000, maxScalarBytes: Int = 1 << 20) {
        self.maxFileBytes = maxFileBytes
        self.maxDepth = maxDepth
        self.maxNodes = maxNodes
        self.maxScalarBytes = maxScalarBytes
    }

    public static let `default` = YAMLLimits()
}
