import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Reads a whole input file but never more than a limit, whatever the file's size: the size is
/// checked first, then at most `maxBytes + 1` bytes are read (a file that grew in between is
/// still caught). Only regular files are read: a FIFO, device (`/dev/zero`), socket or
/// directory is refused before a byte is read, so no input can block or stream forever. The
/// file is opened non-blocking and its type checked on the open descriptor (`fstat`), so a
/// FIFO cannot hang the open and a path swapped between check and read is still caught.
/// Callers turn each failure into their own located diagnostic. O(min(size, maxBytes)).
///
/// Every input file WaferMap reads (model YAML, config.json, target, defect map, plan,
/// calibration set) goes through here.
public enum BoundedFile {
    public enum Failure: Error, Sendable {
        case missing
        case directory
        /// Larger than the limit; the size when the file system reported it.
        case tooLarge(bytes: Int?)
        case unreadable(String)
    }

    /// The message for a file that exists but is not a regular file; `kind` is "a named pipe
    /// (FIFO)", "a character device", ... Callers show it after the path.
    public static func notRegularMessage(_ kind: String) -> String {
        "is \(kind), not a regular file; WaferMap reads inputs from regular files only"
    }

    public static func read(path: String, maxBytes: Int) -> Result<Data, Failure> {
        let fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC)
        guard fd >= 0 else {
            let code = errno
            if code == ENOENT || code == ENOTDIR { return .failure(.missing) }
            if code == EISDIR { return .failure(.directory) }
            return .failure(.unreadable("cannot open file for reading: \(String(cString: strerror(code)))"))
        }
        let handle = FileHandle(fileDescriptor: fd, closeOnDealloc: true)
        defer { try? handle.close() }
        var info = stat()
        guard fstat(fd, &info) == 0 else {
            return .failure(.unreadable("cannot inspect file: \(String(cString: strerror(errno)))"))
        }
        switch info.st_mode & S_IFMT {
        case S_IFREG: break
        case S_IFDIR: return .failure(.directory)
        case S_IFIFO: return .failure(.unreadable(notRegularMessage("a named pipe (FIFO)")))
        case S_IFCHR: return .failure(.unreadable(notRegularMessage("a character device")))
        case S_IFBLK: return .failure(.unreadable(notRegularMessage("a block device")))
        case S_IFSOCK: return .failure(.unreadable(notRegularMessage("a socket")))
        default: return .failure(.unreadable(notRegularMessage("a special file")))
        }
        if Int(info.st_size) > maxBytes {
            return .failure(.tooLarge(bytes: Int(info.st_size)))
        }
        let data: Data
        do {
            data = try handle.read(upToCount: maxBytes + 1) ?? Data()
        } catch {
            return .failure(.unreadable("cannot read file: \(error)"))
        }
        return data.count > maxBytes ? .failure(.tooLarge(bytes: nil)) : .success(data)
    }

    /// The failure in words, without the path ("no such file", "is not a regular file ..."),
    /// for callers that name the file themselves.
    public static func reason(_ failure: Failure, maxBytes: Int) -> String {
        switch failure {
        case .missing: return "no such file"
        case .directory: return "it is a directory"
        case let .tooLarge(bytes?): return "it is \(Units.grouped(bytes)) bytes; the limit is \(Units.grouped(maxBytes)) bytes"
        case .tooLarge(nil): return "it is larger than the limit of \(Units.grouped(maxBytes)) bytes"
        case let .unreadable(reason): return reason
        }
    }
}
