import Foundation
import WaferPlan
import WaferReport
import WaferSupport

/// What one shard of a study writes (`--shard K/N -o PART`) and `wafermap merge` reads: the
/// study's kind, the header that identifies the whole study and renders it (model, flags,
/// output format: everything but the shard and the output path), the shard, the study's item
/// count, and this shard's results, each under its item index (docs/studies.md).
///
/// The file is JSON with sorted keys (`JSONOutput`), so the same shard of the same study writes
/// the same bytes on any machine. `Header` must hold no timing, host or path of its own: a merge
/// refuses parts whose headers differ.
public struct StudyPartial<Header: Codable & Equatable & Sendable, Result: Codable & Sendable>: Codable, Sendable {
    public static var formatName: String { "wafermap-partial" }
    public static var formatVersion: Int { 1 }

    /// One item's result.
    public struct Entry: Codable, Sendable {
        public var item: Int
        public var result: Result
        public init(item: Int, result: Result) { self.item = item; self.result = result }
    }

    public var format: String
    public var formatVersion: Int
    /// The study's kind (`sweep`, `yield`): which merger reads the file.
    public var study: String
    public var header: Header
    public var shard: ShardSpec
    /// Work items in the whole study (every shard records the same count).
    public var items: Int
    public var results: [Entry]

    public init(study: String, header: Header, shard: ShardSpec, items: Int, results: [Entry]) {
        format = Self.formatName; formatVersion = Self.formatVersion
        self.study = study; self.header = header; self.shard = shard; self.items = items; self.results = results
    }

    /// Writes the partial atomically (a temporary file renamed over `path`). O(results).
    public func write(to path: String) throws(DiagnosticError) {
        do throws(AtomicFile.WriteError) {
            try AtomicFile.write(JSONOutput.render(self), to: path)
        } catch {
            throw .error(DriverFailure.write, error.description, at: nil)
        }
    }

    /// Decodes a partial of this study's kind; errors name the file, line and column. O(bytes).
    public static func decode(_ data: Data, file: String, study: String) throws(DiagnosticError) -> Self {
        let locator = try StudyPartialFile.validate(data, file: file)
        func located(_ steps: [JSONLocator.Step]) -> SourceLocation {
            if case let .found(p) = locator.locate(steps) { return SourceLocation(file: file, line: p.line, column: p.column) }
            return .startOf(file)
        }
        let decoder = JSONDecoder()
        decoder.keyDecodingStrategy = .convertFromSnakeCase
        let partial: Self
        do {
            partial = try decoder.decode(Self.self, from: data)
        } catch let error as DecodingError {
            let (message, path) = StudyPartialFile.describe(error)
            let steps = path.map { key -> JSONLocator.Step in key.intValue.map { .index($0) } ?? .key(StudyPartialFile.snakeCase(key.stringValue)) }
            let field = steps.map { step -> String in
                switch step { case let .key(k): return "." + k; case let .index(n): return "[\(n)]" }
            }.joined()
            throw .error(DriverFailure.partialFile, "\(field.isEmpty ? "the partial result" : String(field.dropFirst())): \(message)", at: located(steps))
        } catch {
            throw .error(DriverFailure.partialFile, "the partial result could not be read: \(error)", at: .startOf(file))
        }
        guard partial.study == study else {
            throw .error(DriverFailure.mergeMismatch, "a partial result of a \(partial.study) study, not \(study)", at: located([.key("study")]))
        }
        guard partial.items >= 0, partial.items <= StudyPartialFile.maxItems else {
            throw .error(DriverFailure.partialFile, "items: \(partial.items) is outside 0...\(Units.grouped(StudyPartialFile.maxItems))", at: located([.key("items")]))
        }
        for (i, entry) in partial.results.enumerated() where !(0..<partial.items).contains(entry.item) || !partial.shard.owns(entry.item) {
            throw .error(DriverFailure.partialFile, "results[\(i)].item: item \(entry.item) is not one of shard \(partial.shard)'s \(Units.grouped(partial.items)) items",
                         at: located([.key("results"), .index(i), .key("item")]))
        }
        return partial
    }

    /// The whole study from its shards' partials (`(file, partial)` in any order): the header and
    /// every item's result in item order. Refuses parts of other studies or other requests, a
    /// shard given twice or missing, an item missing or given twice. O(items).
    public static func merge(_ parts: [(file: String, partial: Self)]) throws(DiagnosticError) -> (header: Header, results: [Result]) {
        guard let (firstFile, first) = parts.first else {
            throw .error(DriverFailure.mergeMismatch, "merge needs at least one partial result", at: nil)
        }
        var byShard: [Int: String] = [:]
        var results = [Result?](repeating: nil, count: first.items)
        for (file, part) in parts {
            guard part.header == first.header, part.items == first.items, part.shard.count == first.shard.count else {
                throw DiagnosticError(Diagnostic(.error, DriverFailure.mergeMismatch, "\(file) is a shard of another \(first.study) study than \(firstFile) (other flags, model or shard count)", at: .startOf(file),
                                                 notes: [.note("merge the partial results of one command line, run with --shard 1/N ... N/N")]))
            }
            if let other = byShard[part.shard.index] {
                throw .error(DriverFailure.mergeMismatch, "shard \(part.shard) is given twice: \(other) and \(file)", at: .startOf(file))
            }
            byShard[part.shard.index] = file
            for entry in part.results {
                guard results[entry.item] == nil else {
                    throw .error(DriverFailure.mergeMismatch, "item \(entry.item) appears twice", at: .startOf(file))
                }
                results[entry.item] = entry.result
            }
        }
        let missing = (1...first.shard.count).filter { byShard[$0] == nil }
        guard missing.isEmpty else {
            let list = missing.prefix(10).map { "\($0)/\(first.shard.count)" }.joined(separator: ", ") + (missing.count > 10 ? ", ..." : "")
            throw .error(DriverFailure.mergeMismatch, "\(Units.count(missing.count, "shard")) of \(first.shard.count) missing: \(list)", at: nil)
        }
        if let hole = results.firstIndex(where: { $0 == nil }) {
            throw .error(DriverFailure.mergeMismatch, "item \(hole) of \(first.items) has no result in shard \(hole % first.shard.count + 1)/\(first.shard.count) (\(byShard[hole % first.shard.count + 1] ?? "?"))", at: nil)
        }
        return (first.header, results.compactMap { $0 })
    }
}

/// Reading partial result files, whatever their study: bounded, syntax-checked with positions.
public enum StudyPartialFile {
    /// The largest partial file read (a 1,000-item yield shard is kilobytes; a sweep shard tens of KB).
    public static let maxBytes = 64 << 20
    /// The most work items a study records.
    public static let maxItems = 1_000_000
    static let limits = JSONLocator.Limits(maxDepth: 32, acceptedDigits: 18, maxValues: 20_000_000) { _, _ in nil }

    /// The file's bytes and its study kind. O(bytes).
    public static func read(_ path: String) throws(DiagnosticError) -> (data: Data, study: String) {
        let data: Data
        switch BoundedFile.read(path: path, maxBytes: maxBytes) {
        case let .success(bytes): data = bytes
        case let .failure(failure):
            throw .error(DriverFailure.partialFile, "cannot read partial result '\(path)': \(BoundedFile.reason(failure, maxBytes: maxBytes))", at: nil)
        }
        let locator = try validate(data, file: path)
        guard locator.scalar(at: [.key("format")]) == "wafermap-partial" else {
            throw .error(DriverFailure.partialFile, "not a WaferMap partial result: 'format' must be \"wafermap-partial\" (write one with --shard K/N -o FILE)", at: position(locator, "format", path))
        }
        guard locator.scalar(at: [.key("format_version")]) == "1" else {
            throw .error(DriverFailure.partialFile, "partial result format version \(locator.scalar(at: [.key("format_version")]) ?? "(none)") is not one this build reads (it reads 1)", at: position(locator, "format_version", path))
        }
        guard let study = locator.scalar(at: [.key("study")]) else {
            throw .error(DriverFailure.partialFile, "the partial result names no 'study'", at: .startOf(path))
        }
        return (data, study)
    }

    static func position(_ locator: JSONLocator, _ key: String, _ file: String) -> SourceLocation {
        if case let .found(p) = locator.locate([.key(key)]) { return SourceLocation(file: file, line: p.line, column: p.column) }
        return .startOf(file)
    }

    static func validate(_ data: Data, file: String) throws(DiagnosticError) -> JSONLocator {
        let bytes = [UInt8](data)
        guard !bytes.isEmpty else { throw .error(DriverFailure.partialFile, "the partial result is empty", at: .startOf(file)) }
        let locator = JSONLocator(bytes)
        switch locator.validate(limits: limits) {
        case let .invalid(message, at): throw .error(DriverFailure.partialFile, "not valid JSON: " + message, at: SourceLocation(file: file, line: at.line, column: at.column))
        case let .refused(message, at): throw .error(DriverFailure.partialFile, message, at: SourceLocation(file: file, line: at.line, column: at.column))
        case .valid, .found: break
        }
        guard bytes.first(where: { ![UInt8(ascii: " "), UInt8(ascii: "\n"), UInt8(ascii: "\r"), UInt8(ascii: "\t")].contains($0) }) == UInt8(ascii: "{") else {
            throw .error(DriverFailure.partialFile, "a partial result is a JSON object; this file holds another JSON value", at: .startOf(file))
        }
        return locator
    }

    static func describe(_ error: DecodingError) -> (String, [CodingKey]) {
        switch error {
        case let .typeMismatch(type, context): return ("expected \(type)", context.codingPath)
        case let .valueNotFound(type, context): return ("expected \(type), found null", context.codingPath)
        case let .keyNotFound(key, context): return ("missing field '\(snakeCase(key.stringValue))'", context.codingPath)
        case let .dataCorrupted(context): return (context.debugDescription, context.codingPath)
        @unknown default: return ("\(error)", [])
        }
    }

    static func snakeCase(_ key: String) -> String {
        var out = ""
        for c in key {
            if c.isUppercase { out += "_" + c.lowercased() } else { out.append(c) }
        }
        return out
    }
}

/// `wafermap merge PART... [-o OUT]`: reads the partials, checks they make one study, and
/// renders exactly what the unsharded command writes with `-o OUT`.
public enum StudyMerge {
    /// A study's merger: the parts' `(file, bytes)` -> the rendered output.
    public typealias Merger = @Sendable ([(file: String, data: Data)]) throws(DiagnosticError) -> String

    /// The mergers by study kind (StudyKinds.swift). A shardable study adds itself there.
    public static var mergers: [String: Merger] { StudyKinds.mergers }

    /// The merged output of the partial files at `paths`. O(total bytes).
    public static func merge(paths: [String]) throws(DiagnosticError) -> String {
        guard !paths.isEmpty else { throw .error(DriverFailure.mergeMismatch, "merge needs at least one partial result", at: nil) }
        var parts: [(file: String, data: Data)] = []
        var study: String?
        for path in paths {
            let (data, kind) = try StudyPartialFile.read(path)
            if let study, study != kind {
                throw .error(DriverFailure.mergeMismatch, "\(path) is a partial result of a \(kind) study; \(paths[0]) is of a \(study) study", at: .startOf(path))
            }
            study = kind
            parts.append((path, data))
        }
        guard let kind = study, let merger = mergers[kind] else {
            throw .error(DriverFailure.partialFile, "'study' \(Diagnostic.quoted(study ?? "")) is none this build merges (\(mergers.keys.sorted().joined(separator: ", ")))", at: .startOf(paths[0]))
        }
        return try merger(parts)
    }
}
