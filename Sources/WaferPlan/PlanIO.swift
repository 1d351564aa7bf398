import Foundation
import WaferSupport

/// Writing and reading plan files. Writing is deterministic (sorted keys, no whitespace: the
/// same plan gives the same bytes) and atomic (a temporary file, then a rename). Reading checks,
/// in order: the text is JSON (else the line and column of the first syntax error), it is a
/// WaferMap plan of a version this build reads (else which version it is and which one this
/// build reads), and every field has its type (else the field's path, line and column).
public enum PlanIO {
    /// Any value's canonical JSON: keys sorted and in snake_case, no whitespace (what plans are
    /// written in, and what the input digests are taken over). O(value size).
    public static func canonicalJSON<T: Encodable>(_ value: T) throws(DiagnosticError) -> Data {
        do {
            return try JSONOutput.encoder(.canonical).encode(value)
        } catch {
            throw .error(PlanFailure.invariant, "internal: \(T.self) could not be encoded: \(error)", at: nil)
        }
    }

    /// The plan's bytes: its canonical JSON and a newline. O(plan size).
    public static func encode(_ plan: Plan) throws(DiagnosticError) -> Data {
        var data = try canonicalJSON(plan)
        data.append(UInt8(ascii: "\n"))
        return data
    }

    /// Writes `plan` to `path` atomically; returns the bytes written.
    @discardableResult
    public static func write(_ plan: Plan, to path: String) throws(DiagnosticError) -> Int {
        let data = try encode(plan)
        do throws(AtomicFile.WriteError) {
            try AtomicFile.write(data, to: path)
        } catch {
            throw .error(PlanFailure.write, error.description, at: nil)
        }
        return data.count
    }

    /// Reads the plan at `path`.
    public static func read(path: String) throws(DiagnosticError) -> Plan {
        let data: Data
        switch BoundedFile.read(path: path, maxBytes: PlanLimits.maxFileBytes) {
        case let .success(bytes): data = bytes
        case .failure(.missing): throw .error(PlanFailure.noSuchFile, "cannot read plan '\(path)': no such file", at: nil)
        case .failure(.directory): throw .error(PlanFailure.isDirectory, "cannot read plan '\(path)': it is a directory", at: nil)
        case .failure(.tooLarge):
            throw .error(PlanFailure.fileTooLarge, "the plan is larger than the \(Units.grouped(PlanLimits.maxFileBytes)) bytes plans are read up to", at: .startOf(path))
        case let .failure(.unreadable(reason)): throw .error(PlanFailure.unreadable, "cannot read plan '\(path)': \(reason)", at: nil)
        }
        return try decode(data, file: path)
    }

    /// Decodes plan bytes; `file` names them in errors.
    public static func decode(_ data: Data, file: String) throws(DiagnosticError) -> Plan {
        let bytes = [UInt8](data)
        guard !bytes.isEmpty else { throw .error(PlanFailure.empty, "the plan is empty", at: .startOf(file)) }
        guard bytes.count <= PlanLimits.maxFileBytes else {
            throw .error(PlanFailure.fileTooLarge, "the plan is \(Units.grouped(bytes.count)) bytes; plans are read up to \(Units.grouped(PlanLimits.maxFileBytes)) bytes", at: .startOf(file))
        }
        let locator = JSONLocator(bytes)
        switch locator.validate(limits: PlanLimits.scan) {
        case let .invalid(message, at):
            throw .error(PlanFailure.jsonSyntax, "not valid JSON: " + message, at: SourceLocation(file: file, line: at.line, column: at.column))
        case let .refused(message, at):
            throw .error(PlanFailure.jsonLimit, message, at: SourceLocation(file: file, line: at.line, column: at.column))
        case .valid, .found: break
        }
        // Format and version first, so that a newer plan gets a clear message, not a type error.
        guard bytes.first(where: { ![UInt8(ascii: " "), UInt8(ascii: "\n"), UInt8(ascii: "\r"), UInt8(ascii: "\t")].contains($0) }) == UInt8(ascii: "{") else {
            throw .error(PlanFailure.notObject, "a plan is a JSON object; this file holds another JSON value", at: .startOf(file))
        }
        func at(_ key: String) -> SourceLocation {
            if case let .found(p) = locator.locate([.key(key)]) { return SourceLocation(file: file, line: p.line, column: p.column) }
            return .startOf(file)
        }
        guard locator.scalar(at: [.key("format")]) == Plan.formatName else {
            throw .error(PlanFailure.notAPlan, "not a WaferMap plan: 'format' must be \"\(Plan.formatName)\"", at: at("format"))
        }
        guard let version = locator.scalar(at: [.key("format_version")]).flatMap({ Int($0) }) else {
            throw .error(PlanFailure.version, "the plan has no integer 'format_version'", at: at("format_version"))
        }
        guard version == Plan.formatVersion else {
            let writer = locator.scalar(at: [.key("compiler_version")]).map { "wafermap \($0)" } ?? "a compiler that did not record its version"
            throw DiagnosticError(Diagnostic(.error, PlanFailure.version, "plan format version \(version) is not one this build reads (it reads version \(Plan.formatVersion))", at: at("format_version"),
                                             notes: [.note("the plan was written by \(writer); compile the model again with this build, or read the plan with a build of that version")]))
        }
        let decoder = JSONDecoder()
        decoder.keyDecodingStrategy = .convertFromSnakeCase
        func located(_ steps: [JSONLocator.Step]) -> SourceLocation {
            if case let .found(p) = locator.locate(steps) { return SourceLocation(file: file, line: p.line, column: p.column) }
            return .startOf(file)
        }
        do {
            let plan = try decoder.decode(Plan.self, from: data)
            if let (message, path) = PlanLimits.violation(plan) {
                throw DiagnosticError.error(PlanFailure.limit, "\(fieldName(path)): \(message)", at: located(path))
            }
            return plan
        } catch let error as DiagnosticError {
            throw error
        } catch let error as DecodingError {
            let (message, path) = describe(error)
            let steps = path.map { key -> JSONLocator.Step in key.intValue.map { .index($0) } ?? .key(snakeCase(key.stringValue)) }
            throw .error(PlanFailure.field, "\(fieldName(steps)): \(message)", at: located(steps))
        } catch {
            throw .error(PlanFailure.field, "the plan could not be read: \(error)", at: .startOf(file))
        }
    }

    /// `units[3].tensors[0].shape` for a key path; "the plan" for the empty one.
    static func fieldName(_ steps: [JSONLocator.Step]) -> String {
        let field = steps.map { step -> String in
            switch step { case let .key(k): return "." + k; case let .index(n): return "[\(n)]" }
        }.joined()
        return field.isEmpty ? "the plan" : String(field.dropFirst())
    }

    private static func describe(_ error: DecodingError) -> (String, [CodingKey]) {
        switch error {
        case let .typeMismatch(type, context): return ("expected \(name(of: type))", context.codingPath)
        case let .valueNotFound(type, context): return ("expected \(name(of: type)), found null", context.codingPath)
        case let .keyNotFound(key, context): return ("missing field '\(snakeCase(key.stringValue))'", context.codingPath)
        case let .dataCorrupted(context): return (context.debugDescription, context.codingPath)
        @unknown default: return ("\(error)", [])
        }
    }

    private static func name(of type: Any.Type) -> String {
        switch type {
        case is Int.Type, is Int32.Type, is UInt64.Type: return "an integer"
        case is Double.Type: return "a number"
        case is String.Type: return "a string"
        case is Bool.Type: return "true or false"
        default: return "\(type)".contains("Array") ? "a list" : "an object"
        }
    }

    /// `dataBytesPerPe` -> `data_bytes_per_pe` (what the encoder's key strategy does).
    static func snakeCase(_ key: String) -> String {
        var out = ""
        for (i, ch) in key.enumerated() {
            if ch.isUppercase {
                if i > 0 { out += "_" }
                out += ch.lowercased()
            } else {
                out.append(ch)
            }
        }
        return out
    }
}
