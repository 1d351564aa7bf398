import WaferSupport

/// Every way a target description or a defect map is wrong (docs/diagnostics.md).
public enum TargetFailure: String, DiagnosticKind {
    /// No built-in target has the name, and no file has the path.
    case unknown = "target.unknown"
    /// The target file's format version is not one this build reads.
    case version = "target.version"
    /// A target parameter is outside its allowed range.
    case outOfRange = "target.out-of-range"
    /// The halo leaves no program area on the fabric.
    case noProgramArea = "target.no-program-area"
    /// The runtime reserve and buffers leave no SRAM for data.
    case noSRAM = "target.no-sram"
    /// `macs_per_cycle` lists no fp16 rate.
    case noFP16Rate = "target.no-fp16-rate"
    /// The runtime reserves every color.
    case noColors = "target.no-colors"
    /// A target built in code leaves no SRAM, no colors or no fp16 rate.
    case noResources = "target.no-resources"
    /// An uncertain figure's range does not hold its value (`low <= value <= high`).
    case rangeOrder = "target.range-order"
    /// No built-in kernel profile has the name, and no file has the path.
    case kernelsUnknown = "kernels.unknown"
    /// The kernel profile's format version is not one this build reads.
    case kernelsVersion = "kernels.version"
    /// A version-2 target lacks a hardware fact, or a version-1 target gives one.
    case hardwareFacts = "target.hardware-facts"
    /// The defect map's format version is not one this build reads.
    case defectsVersion = "defects.version"
    /// The defect map is for another target.
    case defectsTarget = "defects.target-mismatch"
    /// The defect map's fabric size differs from the target's.
    case defectsFabric = "defects.fabric-mismatch"
    /// A wafer index is outside the map's wafers.
    case defectsWaferIndex = "defects.wafer-index"
    /// A wafer is listed twice.
    case defectsDuplicateWafer = "defects.duplicate-wafer"
    /// A dead link's direction is not N, E, S or W.
    case defectsLinkDirection = "defects.link-direction"
    /// A dead PE or link lies off the fabric.
    case defectsOffFabric = "defects.off-fabric"
    /// A list has more entries than the fabric has PEs or links.
    case defectsTooMany = "defects.too-many"
    /// A dead PE or link entry has the wrong number of values.
    case defectsEntryShape = "defects.entry-shape"
    /// A dead PE or link is listed twice.
    case defectsDuplicate = "defects.duplicate"
    /// A physical (version 2) map's `coordinates` is not `physical`, or its target has no redundancy.
    case defectsCoordinates = "defects.coordinates"
    /// A generated map would hold more defects than the limit.
    case defectsGenerateTooMany = "defects.generate-too-many"

    public static var stage: DiagnosticStage { .target }
    public var fault: Fault { .input }
}
