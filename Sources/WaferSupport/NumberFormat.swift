/// The element types a weight can be stored in.
public enum ElementType: String, Sendable, Hashable, CaseIterable, Codable {
    case fp32
    case bf16
    case fp16
    case fp8_e4m3
    case fp8_e5m2
    case int8
    case int4
    case mxfp4

    /// Bits per stored value, before any scale overhead.
    public var bits: Int {
        switch self {
        case .fp32: return 32
        case .bf16, .fp16: return 16
        case .fp8_e4m3, .fp8_e5m2, .int8: return 8
        case .int4, .mxfp4: return 4
        }
    }

    /// Plain floating types store values without scales and are the ones activations use.
    public var isPlainFloat: Bool { self == .fp32 || self == .bf16 || self == .fp16 }
}

/// The type of a quantization scale.
public enum ScaleType: String, Sendable, Hashable, CaseIterable, Codable {
    case fp32
    case bf16
    case fp16
    /// The OCP microscaling shared exponent: one byte, a power of two.
    case e8m0

    public var bytes: Int {
        switch self {
        case .fp32: return 4
        case .bf16, .fp16: return 2
        case .e8m0: return 1
        }
    }
}

/// How scales are laid over a weight matrix `[rows = out_features, cols = in_features]`.
///
/// Leading dimensions beyond the last two (for example the expert index of an MoE tensor
/// `[experts, out, in]`) repeat the layout once per matrix. A 1-D tensor is treated as `[1, n]`.
public enum Scaling: Sendable, Hashable {
    /// No scales: the values are stored as they are.
    case none
    /// One scale per `rows x cols` block (DeepSeek-V3's FP8: 128 x 128 blocks, fp32 scales).
    case block(rows: Int, cols: Int, scale: ScaleType)
    /// One scale per `size` consecutive values along the input dimension of each row.
    case group(size: Int, scale: ScaleType)
    /// One scale per output row (per output channel).
    case channel(scale: ScaleType)
}

/// A storage format: element type plus scale layout. Computes exact byte sizes.
///
/// Byte layouts follow the checkpoint formats they model:
/// - 32/16/8-bit types: `bits/8` bytes per value.
/// - `int4`: compressed-tensors "pack-quantized", eight values per 32-bit word along the input
///   dimension, so each row takes `ceil(cols / 8) * 4` bytes.
/// - `mxfp4`: OCP MX blocks of 32 values along the input dimension, 16 bytes of 4-bit codes
///   plus one e8m0 scale byte per block (4.25 bits per value when `cols % 32 == 0`).
public struct NumberFormat: Sendable, Hashable, CustomStringConvertible {
    public var element: ElementType
    public var scaling: Scaling

    public init(_ element: ElementType, scaling: Scaling = .none) {
        self.element = element
        self.scaling = scaling
    }

    public static let fp32 = NumberFormat(.fp32)
    public static let bf16 = NumberFormat(.bf16)
    public static let fp16 = NumberFormat(.fp16)
    /// MXFP4 always carries its e8m0 scale per 32 values.
    public static let mxfp4 = NumberFormat(.mxfp4, scaling: .group(size: 32, scale: .e8m0))

    /// Whether the scale layout is one the element type admits. Returns a reason when not.
    public func validationProblem() -> String? {
        switch (element, scaling) {
        case (.fp32, .none), (.bf16, .none), (.fp16, .none):
            return nil
        case (.fp32, _), (.bf16, _), (.fp16, _):
            return "\(element.rawValue) stores values without scales"
        case (.mxfp4, .group(32, .e8m0)):
            return nil
        case (.mxfp4, _):
            return "mxfp4 is fixed at one e8m0 scale per 32 values"
        case (.int4, .none), (.int8, .none):
            return "\(element.rawValue) needs scales: a group size or per-channel scales"
        default:
            break
        }
        switch scaling {
        case .none:
            return nil
        case let .block(rows, cols, _):
            return rows > 0 && cols > 0 ? nil : "block dimensions must be positive"
        case let .group(size, _):
            return size > 0 ? nil : "group size must be positive"
        case .channel:
            return nil
        }
    }

    /// Canonical text: `bf16`, `fp8_e4m3[block=128x128,scale=fp32]`, `int4[group=32,scale=bf16]`,
    /// `int8[channel,scale=bf16]`, `mxfp4`. Used by the IR printer and reports.
    public var description: String {
        if element == .mxfp4 && self == .mxfp4 { return "mxfp4" }
        switch scaling {
        case .none:
            return element.rawValue
        case let .block(rows, cols, scale):
            return "\(element.rawValue)[block=\(rows)x\(cols),scale=\(scale.rawValue)]"
        case let .group(size, scale):
            return "\(element.rawValue)[group=\(size),scale=\(scale.rawValue)]"
        case let .channel(scale):
            return "\(element.rawValue)[channel,scale=\(scale.rawValue)]"
        }
    }

    /// Exact storage of a tensor of `shape` in this format, split into value and scale bytes.
    /// Returns nil when a size overflows `Int`. O(rank).
    public func storage(shape: [Int]) -> StorageSize? {
        switch shape.count {
        case 0:
            return storage(rows: 1, cols: 1, matrices: 1)
        case 1:
            return storage(rows: 1, cols: shape[0], matrices: 1)
        default:
            guard let m = Checked.product(Array(shape.dropLast(2))) else { return nil }
            return storage(rows: shape[shape.count - 2], cols: shape[shape.count - 1], matrices: m)
        }
    }

    /// Exact storage of `matrices` matrices of `rows x cols` (a vector is one row). Allocation-free.
    public func storage(rows: Int, cols: Int, matrices: Int = 1) -> StorageSize? {
        let rowValueBytes: Int
        switch element {
        case .int4:
            rowValueBytes = Checked.ceilDiv(cols, 8) * 4
        case .mxfp4:
            rowValueBytes = Checked.ceilDiv(cols, 32) * 16
        default:
            guard let b = Checked.mul(cols, element.bits / 8) else { return nil }
            rowValueBytes = b
        }
        let scalesPerMatrix: Int
        let scaleBytes: Int
        switch scaling {
        case .none:
            scalesPerMatrix = 0; scaleBytes = 0
        case let .block(br, bc, scale):
            guard let n = Checked.mul(Checked.ceilDiv(rows, br), Checked.ceilDiv(cols, bc)) else { return nil }
            scalesPerMatrix = n; scaleBytes = scale.bytes
        case let .group(size, scale):
            guard let n = Checked.mul(rows, Checked.ceilDiv(cols, size)) else { return nil }
            scalesPerMatrix = n; scaleBytes = scale.bytes
        case let .channel(scale):
            scalesPerMatrix = rows; scaleBytes = scale.bytes
        }
        guard let valuesPerMatrix = Checked.mul(rows, rowValueBytes),
              let values = Checked.mul(valuesPerMatrix, matrices),
              let scalesCount = Checked.mul(scalesPerMatrix, matrices),
              let scales = Checked.mul(scalesCount, scaleBytes),
              Checked.add(values, scales) != nil
        else { return nil }
        return StorageSize(valueBytes: values, scaleBytes: scales)
    }
}

/// Bytes a tensor occupies: the values and the quantization scales that go with them.
public struct StorageSize: Sendable, Hashable {
    public var valueBytes: Int
    public var scaleBytes: Int
    public var totalBytes: Int { valueBytes + scaleBytes }

    public init(valueBytes: Int, scaleBytes: Int) {
        self.valueBytes = valueBytes
        self.scaleBytes = scaleBytes
    }

    public static let zero = StorageSize(valueBytes: 0, scaleBytes: 0)
}
