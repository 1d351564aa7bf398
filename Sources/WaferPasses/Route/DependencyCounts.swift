import WaferIR

/// The size of the channel-dependency graph `RoutePass.addDependencies` builds, and whether it is
/// acyclic, counted without building it (no labels, no hashing of strings).
///
/// The graph is a disjoint union of one component per line segment (or bundle lane) of one
/// wafer: a chain of stage anchors in increasing rank, and per exception transfer a node with an
/// edge from the stage of its first rank and one to the stage of its second. So it has one
/// node per distinct (segment, rank) and per distinct (request, role, segment), and
/// `ranks - 1` chain edges per segment plus two edges per transfer; and it is acyclic exactly
/// when every transfer goes to a strictly later stage (an edge to an earlier or the same stage
/// closes a loop through the chain; otherwise every edge climbs in rank). When it is not
/// acyclic, the caller builds the labelled graph to report the cycle (Dally & Seitz 1987).
/// O(T log T) for T transfers.
struct DependencyCounts {
    var nodes = 0
    var edges = 0
    var acyclic = true

    init() {}

    init(nodes: Int, edges: Int) { self.nodes = nodes; self.edges = edges }

    /// The counts of one wafer's exceptions (`outcome.requests`).
    init(_ outcome: WaferRouter.Outcome) {
        /// A segment (a class's line segment or a bundle's lane, whose segment is always 0 in its label) and a rank.
        struct Stage: Comparable {
            var bundle: Bool, owner: Int, line: Int, segment: Int, rank: Int
            static func < (a: Stage, b: Stage) -> Bool {
                (a.bundle ? 1 : 0, a.owner, a.line, a.segment, a.rank) < (b.bundle ? 1 : 0, b.owner, b.line, b.segment, b.rank)
            }
        }
        var stages: [Stage] = []
        var transfers = 0, exceptionNodes = 0
        for request in outcome.requests {
            var seen: [(role: ExceptionRole, stage: Stage)] = []
            for t in request.transfers {
                let segment = request.bundle ? 0 : t.segment
                let from = Stage(bundle: request.bundle, owner: t.owner, line: t.line, segment: segment, rank: t.ranks.0)
                var to = from
                to.rank = t.ranks.1
                stages.append(from)
                stages.append(to)
                transfers += 1
                if t.ranks.1 <= t.ranks.0 { acyclic = false }
                var key = from
                key.rank = 0
                if !seen.contains(where: { $0.role == t.role && $0.stage == key }) { seen.append((t.role, key)); exceptionNodes += 1 }
            }
        }
        stages.sort()
        var distinct = 0, segments = 0
        for (i, s) in stages.enumerated() where i == 0 || s != stages[i - 1] {
            distinct += 1
            var a = s, b = i == 0 ? s : stages[i - 1]
            (a.rank, b.rank) = (0, 0)
            if i == 0 || a != b { segments += 1 }
        }
        nodes = distinct + exceptionNodes
        edges = (distinct - segments) + 2 * transfers
    }

    /// Adds another wafer's counts (the wafers' components are disjoint).
    mutating func add(_ other: DependencyCounts) {
        nodes += other.nodes
        edges += other.edges
        acyclic = acyclic && other.acyclic
    }
}
