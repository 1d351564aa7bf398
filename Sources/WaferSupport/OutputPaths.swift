import Foundation

/// Checks, before any long work, that an output can go where the user asked: the directory
/// exists and is writable, what is there now (if anything) is a regular file (never a
/// directory, a device such as /dev/null, a FIFO or a socket, which a rename would replace),
/// and the output is none of the command's inputs and no other output of the same run.
/// Paths are compared after resolving symbolic links and `.`/`..`, so `./m.yaml` and a link to
/// it are the model file. O(inputs + outputs) file-system look-ups.
public enum OutputPaths {
    /// One output of a run: its path, and what the flag that names it is called (`-o`).
    public struct Output: Sendable {
        public var path: String
        public var flag: String
        /// A directory of files (`--svg DIR`, created when missing) rather than one file.
        public var isDirectory: Bool
        public init(path: String, flag: String, isDirectory: Bool = false) {
            self.path = path; self.flag = flag; self.isDirectory = isDirectory
        }
    }

    /// The first reason the outputs cannot be written, or nil. `inputs` are the paths the
    /// run reads (model, target file, defect map, plan).
    public static func problem(outputs: [Output], inputs: [String]) -> String? {
        let inputKeys = Dictionary(inputs.map { (canonical($0), $0) }, uniquingKeysWith: { a, _ in a })
        var seen: [String: Output] = [:]
        for output in outputs {
            let key = canonical(output.path)
            if let input = inputKeys[key] {
                return "\(output.flag) \(output.path) is the input file \(input); writing there would replace it (choose another path)"
            }
            if let other = seen[key] { return "\(output.flag) and \(other.flag) name the same path \(output.path)" }
            seen[key] = output
            if let reason = output.isDirectory ? directoryProblem(output.path) : fileProblem(output.path) {
                return "\(output.flag) \(output.path): \(reason)"
            }
        }
        return nil
    }

    /// Why what is at `path` now must not be replaced by an output (nil when nothing is there
    /// or a regular file is): a rename over a symbolic link replaces the link (as root, over
    /// `/dev/stdout` or a device node, the system's own), so only regular files are replaced.
    /// `AtomicFile` and `StagedFiles` ask it before every write. O(1).
    public static func existingProblem(_ path: String) -> String? {
        var st = stat()
        guard lstat(path, &st) == 0 else { return nil }
        switch st.st_mode & S_IFMT {
        case S_IFREG: return nil
        case S_IFDIR: return "is a directory"
        case S_IFLNK: return "is a symbolic link; name the file itself (a write would replace the link)"
        default: return "is not a regular file (a device, FIFO or socket); outputs go to regular files"
        }
    }

    /// Why a file cannot be written at `path` (nil when it can).
    static func fileProblem(_ path: String) -> String? {
        if let reason = existingProblem(path) { return reason }
        let parent = parentDirectory(path)
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: parent, isDirectory: &isDirectory) else { return "the directory \(parent) does not exist" }
        guard isDirectory.boolValue else { return "\(parent) is not a directory" }
        guard access(parent, W_OK) == 0 else { return "the directory \(parent) is not writable" }
        return nil
    }

    /// Why files cannot be written into the directory `path`, created when missing.
    static func directoryProblem(_ path: String) -> String? {
        var isDirectory: ObjCBool = false
        if FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) {
            guard isDirectory.boolValue else { return "exists and is not a directory" }
            return access(path, W_OK) == 0 ? nil : "the directory is not writable"
        }
        let parent = parentDirectory(path)
        guard FileManager.default.fileExists(atPath: parent, isDirectory: &isDirectory), isDirectory.boolValue else {
            return "its parent directory \(parent) does not exist"
        }
        return access(parent, W_OK) == 0 ? nil : "its parent directory \(parent) is not writable"
    }

    static func parentDirectory(_ path: String) -> String {
        let parent = URL(fileURLWithPath: path).deletingLastPathComponent().path
        return parent.isEmpty ? "." : parent
    }

    /// The path with symbolic links and `.`/`..` resolved (of its directory, when the file does
    /// not exist yet).
    static func canonical(_ path: String) -> String {
        let url = URL(fileURLWithPath: path).standardizedFileURL
        if FileManager.default.fileExists(atPath: url.path) { return url.resolvingSymlinksInPath().path }
        return url.deletingLastPathComponent().resolvingSymlinksInPath().appendingPathComponent(url.lastPathComponent).path
    }
}
