import WaferIR

/// The size of the channel-dependency graph `RoutePass.addDependencies` builds, and whether it is
/// acyclic, counted without building it (no labels, no hashing of strings).
///
/// The graph is a disjoint union of one component per line segment (or bundle lane) of one
/// wafer: a chain of stage anchors in increasing rank, and per exception transfer a node with an
/// edge from the stage of its first rank and one to the stage of its second. So it has one
/// node per distinct (segment, rank) and per distinct (request, role, segment), and
/// `ranks - 1` chain edges per segment plus two edges per transfer. The transfers of one
/// request with the same role and segment share their exception node, so it is acyclic exactly
/// when every exception node's latest incoming stage comes before its earliest outgoing one (an
/// edge back to an earlier or the same stage closes a loop through the chain; otherwise every
/// edge climbs in rank, the node sitting between the two). When it is not
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
            var seen: [(role: ExceptionRole, stage: Stage, latestIn: Int, earliestOut: Int)] = []
            for t in request.transfers {
                let segment = request.bundle ? 0 : t.segment
                let from = Stage(bundle: request.bundle, owner: t.owner, line: t.line, segment: segment, rank: t.ranks.0)
                var to = from
                to.rank = t.ranks.1
                stages.append(from)
                stages.append(to)
                transfers += 1
                var key = from
                key.rank = 0
                if let i = seen.firstIndex(where: { $0.role == t.role && $0.stage == key }) {
                    seen[i].latestIn = max(seen[i].latestIn, t.ranks.0)
                    seen[i].earliestOut = min(seen[i].earliestOut, t.ranks.1)
                } else {
                    seen.append((t.role, key, t.ranks.0, t.ranks.1))
                    exceptionNodes += 1
                }
            }
            if seen.contains(where: { $0.latestIn >= $0.earliestOut }) { acyclic = false }
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
