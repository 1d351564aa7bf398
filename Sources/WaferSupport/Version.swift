/// WaferMap's version, printed by `wafermap --version` and recorded in plans.
public enum WaferMapVersion {
    public static let string = "0.1.0"
}
