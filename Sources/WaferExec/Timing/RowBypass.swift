import WaferPlan

/// The executor's own reading of a wafer's spare-row repair record: what a row line pays.
public enum RowBypass {
    /// The bypass hops a row line of `slot` in its logical rows `rows` pays: the largest sum, over
    /// the redundancy blocks the rows touch, of the windows the slot's fabric columns touch, plus
    /// the link term, at most the wafer's row figure (docs/redundancy.md, "Where a line runs").
    /// The wafer's row figure without windows. O(blocks x windows).
    public static func hops(_ r: PlanRedundancy, wafer w: PlanWafer, slot: Int, rows: Range<Int>) -> Int {
        guard let windows = r.rowWindows, let columns = r.rowWindowColumns, let perBlock = r.rowWindowsPerBlock, let blockRows = r.blockRows,
              columns > 0, perBlock > 0, blockRows > 0, !windows.isEmpty, windows.count % perBlock == 0, w.gridColumns > 0, !rows.isEmpty else {
            return r.bypassHopsRows
        }
        let pitch = w.slotWidth + w.spareColumns
        let x0 = w.originX + (slot % w.gridColumns) * pitch, y0 = w.originY + (slot / w.gridColumns) * w.slotHeight
        let blocks = windows.count / perBlock
        let firstWindow = min(perBlock - 1, max(0, x0 / columns)), lastWindow = min(perBlock - 1, max(0, (x0 + pitch - 1) / columns))
        var worst = 0
        for b in min(blocks - 1, max(0, (y0 + rows.lowerBound) / blockRows))...min(blocks - 1, max(0, (y0 + rows.upperBound - 1) / blockRows)) {
            var sum = 0
            for k in firstWindow...max(firstWindow, lastWindow) { sum += max(0, windows[b * perBlock + k]) }
            worst = max(worst, sum)
        }
        return min(r.bypassHopsRows, worst + max(0, r.rowLinkHops ?? 0))
    }
}
