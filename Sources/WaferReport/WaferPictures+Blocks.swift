/// Per-PE figures of a wafer drawn as heat maps (link load, colors per PE) are kept as block
/// maxima: the fabric cut into `block x block` PE blocks, about 160 along the longer side, each
/// holding its largest PE value. The link-load and colors panels share this aggregation.
extension WaferPictures {
    struct BlockMaxima: Sendable, Equatable {
        var block: Int
        var columns: Int, rows: Int
        /// Each block's largest value, row-major.
        var values: [Int32]
        /// The largest value of any PE, the PEs holding it (when above 0) and the blocks they lie
        /// in, ascending.
        var most: Int
        var pesAtMost: Int
        var hottest: [Int]

        /// The maxima of `perPe` (row-major, `width x height`). O(fabric PEs).
        init(_ perPe: [Int32], width fw: Int, height fh: Int) {
            block = WaferPictures.loadBlock(width: fw, height: fh)
            columns = (fw + block - 1) / block; rows = (fh + block - 1) / block
            values = [Int32](repeating: 0, count: columns * rows)
            var top: Int32 = 0, atTop = 0
            var blocks: [Int] = []
            for y in 0..<fh {
                for x in 0..<fw {
                    let v = perPe[y * fw + x], b = (y / block) * columns + x / block
                    if v > top { top = v; atTop = 0; blocks = [] }
                    if v == top && v > 0 { atTop += 1; if blocks.last != b { blocks.append(b) } }
                    if v > values[b] { values[b] = v }
                }
            }
            most = Int(top); pesAtMost = atTop; hottest = Array(Set(blocks)).sorted()
        }

        /// The link-load map's names: the busiest link's wavelets per decode step, and the PEs
        /// with a link at it.
        var maxWavelets: Int { most }
        var pesAtMax: Int { pesAtMost }
    }
}
