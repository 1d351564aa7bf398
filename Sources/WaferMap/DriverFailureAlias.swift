import WaferReport

/// The driver's failure kinds live in WaferReport (so the library code below the driver can
/// throw them); this keeps the name `WaferMap.DriverFailure`.
public typealias DriverFailure = WaferReport.DriverFailure
public typealias DefectRequest = WaferReport.DefectRequest
public typealias RepairMode = WaferReport.RepairMode
