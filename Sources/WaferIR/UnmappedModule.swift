/// A part of a checkpoint that WaferMap counts but does not map onto the wafer: a
/// multi-token-prediction module (DeepSeek-V3's `num_nextn_predict_layers`), a vision tower.
/// `wafermap stats` reports each one beside the main model; no pass places it.
///
/// The counts are exact integers the importer derived from the configuration (or that a
/// model file states); `description` says what the module is and how it was counted.
public struct UnmappedModule: Hashable, Sendable {
    /// A short name: `mtp`, `vision_tower`.
    public var name: String
    /// What the module is and how its counts were derived, for people.
    public var description: String
    public var parameters: Int
    /// Bytes as stored, scales included.
    public var bytes: Int

    public init(name: String, description: String, parameters: Int, bytes: Int) {
        self.name = name; self.description = description; self.parameters = parameters; self.bytes = bytes
    }
}
