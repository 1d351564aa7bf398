import Testing
import WaferIR
@testable import WaferPasses
import WaferSupport

/// `DependencyCounts` (the route pass's count of the channel-dependency graph) against the
/// labelled graph `RoutePass.addDependencies` builds and its depth-first cycle search.
@Suite struct DependencyCountTests {
    /// A wafer's outcome of random requests: classes and bundles, shared segments, repeated
    /// roles and ranks; transfers go forward in rank unless `backward` asks for one that does not.
    func outcome(seed: UInt64, requests: Int, backward: Bool) -> WaferRouter.Outcome {
        var rng = SeededRNG(seed: seed)
        let roles: [ExceptionRole] = [.stream, .leader, .broadcast, .lane]
        var list: [WaferRouter.Request] = []
        for index in 0..<requests {
            let bundle = Int.random(in: 0..<4, using: &rng) == 0
            var transfers: [WaferRouter.Transfer] = []
            for _ in 0..<Int.random(in: 1...4, using: &rng) {
                let from = Int.random(in: 0..<6, using: &rng)
                let to = backward && index == requests / 2 && transfers.isEmpty ? from - Int.random(in: 0...1, using: &rng)
                    : from + Int.random(in: 1...3, using: &rng)
                transfers.append(WaferRouter.Transfer(owner: Int.random(in: 0..<3, using: &rng), line: Int.random(in: 0..<3, using: &rng),
                                                      segment: Int.random(in: 0..<2, using: &rng), position: 0,
                                                      role: bundle ? .lane : roles[Int.random(in: 0..<3, using: &rng)], ranks: (from, to)))
            }
            list.append(WaferRouter.Request(bundle: bundle, source: (index, 0), sink: (index, 1), baseline: 1, transfers: transfers))
        }
        return WaferRouter.Outcome(exceptions: [], requests: list, summary: WaferRoutingSummary(wafer: Int(seed % 3)))
    }

    @Test(arguments: [UInt64(1), 2, 3, 4, 5, 6, 7, 8])
    func countsMatchTheLabelledGraph(_ seed: UInt64) {
        for backward in [false, true] {
            let o = outcome(seed: seed, requests: 40, backward: backward)
            var graph = DependencyGraph()
            RoutePass.addDependencies(o, firstException: 0, to: &graph)
            let counts = DependencyCounts(o)
            #expect(counts.nodes == graph.labels.count)
            #expect(counts.edges == graph.edgeCount)
            #expect(counts.acyclic == (graph.findCycle() == nil))
            #expect(counts.acyclic == !backward)
        }
    }

    @Test func wafersAddUp() {
        let a = outcome(seed: 11, requests: 30, backward: false), b = outcome(seed: 12, requests: 30, backward: false)
        var graph = DependencyGraph()
        RoutePass.addDependencies(a, firstException: 0, to: &graph)
        RoutePass.addDependencies(b, firstException: a.requests.count, to: &graph)
        var counts = DependencyCounts(a)
        counts.add(DependencyCounts(b))
        // Seeds 11 and 12 give wafers 2 and 0: disjoint components.
        #expect(counts.nodes == graph.labels.count)
        #expect(counts.edges == graph.edgeCount)
        #expect(counts.acyclic && graph.findCycle() == nil)
    }
}
