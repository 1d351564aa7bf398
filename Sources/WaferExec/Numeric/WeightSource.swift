/// Deterministic synthetic weights: value (tensor, expert, row, column) is a hash of those and
/// the seed (SplitMix64, Steele et al. 2014), so any tile can be generated on its own, in any
/// order, without materialising the tensor. Matrices are uniform in +-1/sqrt(in) (activations
/// keep their scale through a layer); norm weights are 1 +- 0.1; biases and sinks +- 0.1.
public struct WeightSource: Sendable {
    public let seed: UInt64
    public init(seed: UInt64) { self.seed = seed }

    /// FNV-1a of a tensor's full name.
    public static func nameHash(_ name: String) -> UInt64 {
        var h: UInt64 = 0xcbf2_9ce4_8422_2325
        for b in name.utf8 { h = (h ^ UInt64(b)) &* 0x0000_0100_0000_01b3 }
        return h
    }

    static func mix(_ z0: UInt64) -> UInt64 {
        var z = z0 &+ 0x9e37_79b9_7f4a_7c15
        z = (z ^ (z >> 30)) &* 0xbf58_476d_1ce4_e5b9
        z = (z ^ (z >> 27)) &* 0x94d0_49bb_1331_11eb
        return z ^ (z >> 31)
    }

    /// Uniform in [-1, 1). O(1).
    public func unit(_ tensor: UInt64, _ expert: Int, _ row: Int, _ column: Int) -> Double {
        let k = WeightSource.mix(seed ^ tensor) ^ WeightSource.mix(UInt64(truncatingIfNeeded: expert) &* 0x1000_0000_01b3 ^ UInt64(truncatingIfNeeded: row) << 24 ^ UInt64(truncatingIfNeeded: column))
        return Double(WeightSource.mix(k) >> 11) * 0x1.0p-52 - 1
    }

    /// A tensor's value at (row, column) (vectors: column 0) by its kind.
    public func value(_ t: TensorRef, row: Int, column: Int) -> Double {
        let u = unit(t.hash, t.expert, row, column)
        switch t.kind {
        case .matrix: return u / Double(max(t.inputs, 1)).squareRoot()
        case .norm: return 1 + 0.1 * u
        case .bias: return 0.1 * u
        }
    }

    /// A tensor to draw values of: its name's hash, the expert (or 0) and its kind.
    public struct TensorRef: Sendable {
        public enum Kind: Sendable { case matrix, norm, bias }
        public var hash: UInt64
        public var expert: Int
        public var kind: Kind
        public var inputs: Int
        public init(name: String, expert: Int = 0, kind: Kind, inputs: Int = 1) {
            hash = WeightSource.nameHash(name); self.expert = expert; self.kind = kind; self.inputs = inputs
        }
    }
}
