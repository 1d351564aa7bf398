import WaferPlan

/// A plan's routing records with class and bundle ids replaced by their position among their
/// wafer's classes (bundles), so two plans can be compared wafer by wafer. Exception rows are
/// grouped by wafer once, so each wafer's lookup costs only its own rows.
package struct WaferRelative {
    let plan: Plan
    let classIndex: [Int: Int]
    let bundleIndex: [Int: Int]
    let exceptionRows: [Int: [Int]]

    package init(_ plan: Plan) {
        self.plan = plan
        var classIndex: [Int: Int] = [:], bundleIndex: [Int: Int] = [:], seen: [Int: Int] = [:]
        for c in plan.routing.classes { classIndex[c.id] = seen[c.wafer, default: 0]; seen[c.wafer, default: 0] += 1 }
        seen = [:]
        for b in plan.routing.bundles { bundleIndex[b.id] = seen[b.wafer, default: 0]; seen[b.wafer, default: 0] += 1 }
        self.classIndex = classIndex; self.bundleIndex = bundleIndex
        exceptionRows = plan.routing.exceptions.rowsByWafer()
    }

    package func classes(_ wafer: Int) -> [PlanClass] {
        plan.routing.classes.filter { $0.wafer == wafer }.map { c in
            var c = c
            c.id = classIndex[c.id] ?? -1
            c.foldedInto = c.foldedInto.map { classIndex[$0] ?? -1 }
            return c
        }
    }

    package func bundles(_ wafer: Int) -> [PlanBundle] {
        plan.routing.bundles.filter { $0.wafer == wafer }.map { b in
            var b = b
            b.id = bundleIndex[b.id] ?? -1
            return b
        }
    }

    package func exceptions(_ wafer: Int) -> [PlanException] {
        (exceptionRows[wafer] ?? []).map { k in
            var r = plan.routing.exceptions[k]
            r.owner = (r.ownerKind == .bundle ? bundleIndex[r.owner] : classIndex[r.owner]) ?? -1
            return r
        }
    }
}
