/// An entry of the router's A* open sets (`FabricGrid.cheapestPath`, `colorablePath`): a search
/// node (a window PE, or a (PE, color) state) and its priority, the distance so far plus the
/// Manhattan estimate. Ordered by priority, then by the smaller node id: a total order, so a
/// `Heap` pops the same sequence on every machine and run, and plans stay byte-identical.
struct OpenEntry: Comparable {
    var priority: Double
    var node: Int

    static func < (a: OpenEntry, b: OpenEntry) -> Bool {
        a.priority < b.priority || (a.priority == b.priority && a.node < b.node)
    }
}
