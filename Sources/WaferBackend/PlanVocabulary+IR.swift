import WaferIR
import WaferPlan

// The IR's enums and the plan format's vocabularies are separate types (the executor reads plans
// without the IR). These conversions are exhaustive switches, so a case added on either side is
// a compile error here until the other side and docs/plan-format.md say what it becomes.

extension PlanAxis {
    init(_ axis: LineAxis) {
        switch axis {
        case .rows: self = .rows
        case .columns: self = .columns
        }
    }

    var ir: LineAxis {
        switch self {
        case .rows: return .rows
        case .columns: return .columns
        }
    }
}

extension PlanReductionMode {
    init(_ mode: AllreduceMode) {
        switch mode {
        case .tree: self = .tree
        case .chain: self = .chain
        }
    }

    var ir: AllreduceMode {
        switch self {
        case .tree: return .tree
        case .chain: return .chain
        }
    }
}

extension PlanRouteRole {
    init(_ role: ExceptionRole) {
        switch role {
        case .stream: self = .stream
        case .leader: self = .leader
        case .broadcast: self = .broadcast
        case .lane: self = .lane
        }
    }

    var ir: ExceptionRole {
        switch self {
        case .stream: return .stream
        case .leader: return .leader
        case .broadcast: return .broadcast
        case .lane: return .lane
        }
    }
}

extension PlanFlowKind {
    init(_ kind: FlowKind) {
        switch kind {
        case .allreduce: self = .allreduce
        case .handoff: self = .handoff
        case .waferLink: self = .waferLink
        }
    }
}

extension PlanPhaseKind {
    init(_ kind: PhaseKind) {
        switch kind {
        case .compute: self = .compute
        case .fabric: self = .fabric
        case .link: self = .link
        case .elementwise: self = .elementwise
        }
    }
}

extension PlanOpKind {
    init(_ kind: OpKind) {
        switch kind {
        case .embedding: self = .embedding
        case let .norm(a):
            switch a.kind {
            case .rmsnorm: self = .rmsnorm
            case .layernorm: self = .layernorm
            }
        case .attention: self = .attention
        case .mla: self = .mla
        case .mlp: self = .mlp
        case .moe: self = .moe
        case .residualAdd: self = .add
        case .lmHead: self = .lmHead
        }
    }
}

extension PlanActivation {
    init(_ activation: Activation) {
        switch activation {
        case .silu: self = .silu
        case .gelu: self = .gelu
        case .gelu_tanh: self = .geluTanh
        case .relu: self = .relu
        case .relu2: self = .relu2
        case .swiglu_oai: self = .swigluOai
        }
    }
}

extension PlanOrientation {
    /// How the builder lays a weight: a tensor of rank 1 (after the expert dimension) is a
    /// vector, a matrix takes the IR's orientation for its name.
    init(tensor: Tensor) {
        if tensor.shape.count - (tensor.expertStacked ? 1 : 0) <= 1 { self = .vector; return }
        switch TileOrientation.of(tensor.name) {
        case .rowsIn: self = .inRows
        case .columnsIn: self = .inCols
        }
    }
}
