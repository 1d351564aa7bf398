import WaferSupport

/// Every way a pass, or a request for one, fails (docs/diagnostics.md). One case per failure;
/// the ID's first word names the pass (`tile.capacity`), or `pass` for what all passes share.
public enum PassFailure: String, DiagnosticKind {
    /// A pass name (`--stop-after`, `--print-ir-after`, ...) is not one of the registry's.
    case unknownPass = "pass.unknown"
    /// A pass that needs a target ran without one (`--target`).
    case needsTarget = "pass.needs-target"
    /// A pass ran before the pass it depends on.
    case needsPriorPass = "pass.needs-prior-pass"
    /// `--slot` does not fit the target's program area.
    case slotSize = "pass.slot-size"
    /// A byte count overflows 64-bit integers.
    case overflow = "pass.overflow"
    /// `--wafers` asks for more wafers than the defect map describes.
    case wafersBeyondMap = "partition.wafers-beyond-map"
    /// The model needs more wafers than WaferMap plans.
    case waferLimit = "partition.wafer-limit"
    /// The model needs more wafers than were given (`--wafers N` or a defect map of N).
    case tooFewWafers = "partition.too-few-wafers"
    /// One unit (a layer, or one expert) needs more bytes than a whole wafer offers.
    case unitTooLarge = "partition.unit-too-large"
    /// A wafer has no usable PEs.
    case noUsablePEs = "partition.no-usable-pes"
    /// The layout pinned by a plan (repair) does not match the model.
    case partitionPins = "partition.pins"
    /// A wafer's share of the model does not tile at the fill limit (the driver retries lower fills).
    case tileCapacity = "tile.capacity"
    /// The slot grid pinned by a plan (repair) no longer fits.
    case tilePins = "tile.pins"
    /// A wafer has fewer usable slots than groups.
    case placeTooFewSlots = "place.too-few-slots"
    /// The slots pinned by a plan (repair) are not distinct slots of the wafer.
    case placePins = "place.pins"
    /// A pinned group's slot has a row with more dead PEs than spare columns, and no slot is free.
    case placeNoFreeSlot = "place.no-free-slot"
    /// The defect map has no entry for a wafer the route pass routes.
    case routeNoDefects = "route.no-defects"
    /// The routing's channel-dependency graph has a cycle.
    case routeDeadlock = "route.deadlock"
    /// A slot or bundle needs more colors than the target gives the program.
    case routeColors = "route.colors"
    /// No route around the defects exists for a flow.
    case routeUnroutable = "route.unroutable"
    /// The routing kept from a plan (repair) does not match the wafer's layout.
    case routeKept = "route.kept-mismatch"
    /// A pass option (`--pass-option`, `sweep --vary`, a `--pass-options` file) without
    /// `SECTION.KNOB=VALUE` form.
    case optionMalformed = "pass-option.malformed"
    /// A pass option names a section no algorithm has.
    case optionUnknownSection = "pass-option.unknown-section"
    /// A pass option names a knob its section does not have.
    case optionUnknownKnob = "pass-option.unknown-knob"
    /// A pass option's value is not of the knob's type.
    case optionType = "pass-option.type"
    /// A pass option's value is outside the knob's range.
    case optionRange = "pass-option.range"
    /// Pass options break a rule between knobs (`place.accept-mid` above `place.accept-high`).
    case optionInconsistent = "pass-option.inconsistent"
    /// An invariant a pass relies on broke: a bug in WaferMap.
    case invariant = "pass.invariant"

    public static var stage: DiagnosticStage { .passes }
    public var fault: Fault {
        switch self {
        case .invariant: .bug
        case .unknownPass, .optionMalformed, .optionUnknownSection, .optionUnknownKnob: .usage
        default: .input
        }
    }
}
