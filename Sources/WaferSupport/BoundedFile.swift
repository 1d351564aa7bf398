import Foundation

/// Reads a whole input file but never more than a limit, whatever the file's size: the size is
/// checked first, then at most `maxBytes + 1` bytes are read (a file that grew in between is
/// still caught). Callers turn each failure into their own located diagnostic. O(min(size,
/// maxBytes)).
public enum BoundedFile {
    public enum Failure: Error, Sendable {
        case missing
        case directory
        /// Larger than the limit; the size when the file system reported it.
        case tooLarge(bytes: Int?)
        case unreadable(String)
    }

    public static func read(path: String, maxBytes: Int) -> Result<Data, Failure> {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else { return .failure(.missing) }
        guard !isDirectory.boolValue else { return .failure(.directory) }
        if let attributes = try? FileManager.default.attributesOfItem(atPath: path),
           let size = attributes[.size] as? NSNumber, size.intValue > maxBytes {
            return .failure(.tooLarge(bytes: size.intValue))
        }
        guard let handle = FileHandle(forReadingAtPath: path) else { return .failure(.unreadable("cannot open file for reading")) }
        defer { try? handle.close() }
        let data: Data
        do {
            data = try handle.read(upToCount: maxBytes + 1) ?? Data()
        } catch {
            return .failure(.unreadable("cannot read file: \(error)"))
        }
        return data.count > maxBytes ? .failure(.tooLarge(bytes: nil)) : .success(data)
    }
}
