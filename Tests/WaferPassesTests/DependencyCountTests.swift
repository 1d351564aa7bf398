import Testing
import WaferIR
@testable import WaferPasses
import WaferSupport

/// `DependencyCounts` (the route pass's count of the channel-dependency graph) against the
/// labelled graph `RoutePass.addDependencies` builds and its depth-first cycle search.
@Suite struct DependencyCountTests {
    /// A wafer's outcome of random requests: classes and bundles, shared segments, repeated
    /// roles and ranks, up to `perRequest` transfers a request (those of one role and segment
    /// share a node); transfers go forward in rank unless `backward` asks for one that does not.
    func outcome(seed: UInt64, requests: Int, backward: Bool, perRequest: Int = 4) -> WaferRouter.Outcome {
        var rng = SeededRNG(seed: seed)
        let roles: [ExceptionRole] = [.stream, .leader, .broadcast, .lane]
        var list: [WaferRouter.Request] = []
        for index in 0..<requests {
            let bundle = Int.random(in: 0..<4, using: &rng) == 0
            var transfers: [WaferRouter.Transfer] = []
            for _ in 0..<Int.random(in: 1...perRequest, using: &rng) {
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

    @Test func countsMatchTheLabelledGraph() {
        var verdicts: [Bool: Int] = [:]
        for seed in UInt64(1)...40 {
            for (backward, perRequest, requests) in [(false, 1, 40), (true, 1, 40), (false, 3, 8), (false, 4, 40)] {
                let o = outcome(seed: seed, requests: requests, backward: backward, perRequest: perRequest)
                var graph = DependencyGraph()
                RoutePass.addDependencies(o, firstException: 0, to: &graph)
                let counts = DependencyCounts(o)
                #expect(counts.nodes == graph.labels.count)
                #expect(counts.edges == graph.edgeCount)
                #expect(counts.acyclic == (graph.findCycle() == nil), "seed \(seed), \(perRequest) per request")
                if perRequest == 1 { #expect(counts.acyclic == !backward) }
                verdicts[counts.acyclic, default: 0] += 1
            }
        }
        // Both verdicts occur, shared nodes included (several transfers of one request).
        #expect(verdicts[true, default: 0] > 40 && verdicts[false, default: 0] > 40)
    }

    @Test func wafersAddUp() {
        let a = outcome(seed: 11, requests: 30, backward: false, perRequest: 1), b = outcome(seed: 12, requests: 30, backward: false, perRequest: 1)
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
