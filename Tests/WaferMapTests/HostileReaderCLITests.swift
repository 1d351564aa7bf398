import Foundation
import Testing
import WaferTestSupport
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// End-to-end: hostile inputs to every reader, as a user meets them from the command line
/// (issue 20). Each command must answer at once with a located, non-zero exit.
@Suite struct HostileReaderCLITests {
    static func scratch() throws -> URL {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("wafermap-hostile-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        return dir
    }

    struct Output {
        var status: Int32
        var stdout: String
        var stderr: String
    }

    /// Runs the CLI, killing it after `seconds`; nil when it had to be killed (it hung).
    static func run(_ arguments: [String], seconds: Double = 20) throws -> Output? {
        let process = Process()
        process.executableURL = CLI.executable
        process.arguments = arguments
        process.currentDirectoryURL = TestPaths.root
        let out = FileManager.default.temporaryDirectory.appendingPathComponent("wafermap-out-\(UUID().uuidString)")
        let err = FileManager.default.temporaryDirectory.appendingPathComponent("wafermap-err-\(UUID().uuidString)")
        _ = FileManager.default.createFile(atPath: out.path, contents: nil)
        _ = FileManager.default.createFile(atPath: err.path, contents: nil)
        defer { try? FileManager.default.removeItem(at: out); try? FileManager.default.removeItem(at: err) }
        process.standardOutput = try FileHandle(forWritingTo: out)
        process.standardError = try FileHandle(forWritingTo: err)
        process.standardInput = FileHandle.nullDevice
        try process.run()
        let deadline = Date().addingTimeInterval(seconds)
        while process.isRunning && Date() < deadline { usleep(20_000) }
        if process.isRunning {
            process.terminate()
            process.waitUntilExit()
            return nil
        }
        return Output(status: process.terminationStatus,
                          stdout: (try? String(contentsOf: out, encoding: .utf8)) ?? "",
                          stderr: (try? String(contentsOf: err, encoding: .utf8)) ?? "")
    }

    /// A FIFO (or a device) given as any input is refused before a byte is read: no reader may
    /// block on it. One FIFO per reader: model YAML, config.json, target, defect map (check and
    /// repair), plan, calibration set; and `/dev/zero` as the model a plan is repaired from.
    @Test func everyReaderRefusesANonRegularFileAtOnce() throws {
        let dir = try Self.scratch()
        defer { try? FileManager.default.removeItem(at: dir) }
        func fifo(_ name: String) -> String {
            let path = dir.appendingPathComponent(name).path
            #expect(mkfifo(path, 0o644) == 0)
            return path
        }
        let emptyMap = dir.appendingPathComponent("none.yaml").path
        try "version: 1\ntarget: small64\nfabric: {width: 64, height: 64}\nwafers: 1\n".write(toFile: emptyMap, atomically: true, encoding: .utf8)
        let plan = TestPaths.fixture("plans/tiny-small64.plan.json")
        let output = dir.appendingPathComponent("out.plan.json").path
        let cases: [(String, [String])] = [
            ("model", ["count", fifo("model.yaml")]),
            ("config.json", ["count", fifo("config.json")]),
            ("target", ["count", "examples/models/tiny.yaml", "--target", fifo("target.yaml")]),
            ("defect map", ["defects", "check", fifo("defects.yaml"), "--target", "small64"]),
            ("plan", ["check", fifo("p.plan.json")]),
            ("calibration set", ["calibrate", fifo("calibration.yaml")]),
            ("repair's defect map", ["repair", plan, "--defects", fifo("new-defects.yaml"), "-o", output]),
            ("repair's model", ["repair", plan, "--defects", emptyMap, "--model", "/dev/zero", "-o", output]),
            ("a directory as the model", ["count", dir.path + "/"]),
        ]
        for (what, arguments) in cases {
            let out = try #require(try Self.run(arguments), "\(what): hung on \(arguments)")
            #expect(out.status == 1, "\(what): exit \(out.status): \(out.stderr)")
            let message = what == "a directory as the model" ? "directory" : "not a regular file"
            #expect(out.stderr.contains(message), "\(what): \(out.stderr)")
            #expect(!out.stderr.lowercased().contains("permission"), "\(what): \(out.stderr)")
        }
        #expect(!FileManager.default.fileExists(atPath: output))
    }

    /// Defect rates and generated maps are bounded before any work: a rate above 5% and a map
    /// of more than 1,000,000 defects are refused in well under a second, and nothing is written.
    @Test func defectRatesAndGeneratedMapsAreBoundedBeforeTheWork() throws {
        let dir = try Self.scratch()
        defer { try? FileManager.default.removeItem(at: dir) }
        let map = dir.appendingPathComponent("d.yaml").path
        for command in ["count", "place", "compile"] {
            let output = command == "compile" ? ["-o", dir.appendingPathComponent("x.plan.json").path] : []
            let out = try #require(try Self.run([command, "examples/models/tiny.yaml", "--defect-rate", "0.5"] + output))
            #expect(out.status == 1, "\(command): \(out.stderr)")
            #expect(out.stderr.contains("--defect-rate must be between 0 and 0.05"), "\(command): \(out.stderr)")
        }
        let huge = try #require(try Self.run(["defects", "generate", "--wafers", "4096", "--rate", "0.05", "-o", map]))
        #expect(huge.status == 1)
        #expect(huge.stderr.contains("1,000,000"), "\(huge.stderr)")
        #expect(!FileManager.default.fileExists(atPath: map))
        let rate = try #require(try Self.run(["defects", "generate", "--wafers", "1", "--rate", "0.5", "-o", map]))
        #expect(rate.status == 1 && rate.stderr.contains("0.05"), "\(rate.stderr)")
        #expect(!FileManager.default.fileExists(atPath: map))
        // The largest rate on a whole WSE-3 wafer is generated and read back in seconds. Pinned
        // to --repair none: this is about software avoidance of logical defects.
        let wide = try #require(try Self.run(["defects", "generate", "--target", "wse3", "--wafers", "1", "--rate", "0.05", "--repair", "none", "-o", map]))
        #expect(wide.status == 0, "\(wide.stderr)")
        let check = try #require(try Self.run(["defects", "check", map, "--target", "wse3"], seconds: 60), "defects check hung")
        #expect(check.status == 0 && check.stdout.contains("valid for wse3"), "\(check.stderr)")
        // Mapping a model onto such a wafer, or at such a rate, is refused before any work: at
        // most 2,000 dead PEs per wafer (expected, for a rate).
        let dense = try #require(try Self.run(["count", "examples/models/tiny.yaml", "--defects", map]))
        #expect(dense.status == 1 && dense.stderr.contains("d.yaml:1:1: error: wafer 0 has"), "\(dense.stderr)")
        #expect(dense.stderr.contains("mapping a model accepts at most 2,000 per wafer"), "\(dense.stderr)")
        let wse3 = try #require(try Self.run(["count", "examples/models/tiny.yaml", "--defect-rate", "0.01", "--repair", "none"]))
        #expect(wse3.status == 1, "\(wse3.stderr)")
        #expect(wse3.stderr.contains("--defect-rate 0.01 on wse3 expects 8,931 dead PEs per wafer; mapping a model accepts at most 2,000, a rate of at most 0.00223 on its 762x1172 fabric"), "\(wse3.stderr)")
        // With WSE-3's spare rows (the default) the cap is on the holes repair leaves: rate 0.01
        // per physical PE leaves few, so it maps.
        let spare = try #require(try Self.run(["count", "examples/models/tiny.yaml", "--defect-rate", "0.01"]))
        #expect(spare.status == 0 && spare.stdout.contains("per physical PE, repaired by spare rows"), "\(spare.stderr)")
        let small = try #require(try Self.run(["count", "examples/models/tiny.yaml", "--target", "small64", "--defect-rate", "0.05"]))
        #expect(small.status == 0, "\(small.stderr)")
    }

    /// The largest target the reader accepts (4,096 x 4,096 PEs of 128 KiB, the longest relay,
    /// the widest wavelet) compiles, and a model counted over 4,096 of its wafers: no 32-bit id,
    /// capacity or byte total overflows, and the plan is within the plan format's limits.
    @Test func theLargestAcceptedTargetCompiles() throws {
        let dir = try Self.scratch()
        defer { try? FileManager.default.removeItem(at: dir) }
        let target = dir.appendingPathComponent("huge.yaml").path
        let text = try String(contentsOfFile: TestPaths.root.appendingPathComponent("examples/targets/small32.yaml").path, encoding: .utf8)
            .replacingOccurrences(of: "  width: 32\n", with: "  width: 4096\n")
            .replacingOccurrences(of: "  height: 32\n", with: "  height: 4096\n")
            .replacingOccurrences(of: "name: small32", with: "name: huge")
            .replacingOccurrences(of: "sram_bytes: 49152 ", with: "sram_bytes: 131072 ")
            .replacingOccurrences(of: "relay_cycles: 20 ", with: "relay_cycles: 65536 ")
            .replacingOccurrences(of: "wavelet_bits: 32 ", with: "wavelet_bits: 1024 ")
        try text.write(toFile: target, atomically: true, encoding: .utf8)
        let plan = dir.appendingPathComponent("huge.plan.json").path
        let compiled = try #require(try Self.run(["compile", "examples/models/tiny.yaml", "--target", target, "-o", plan], seconds: 300), "compile hung")
        #expect(compiled.status == 0, "\(compiled.stderr)")
        #expect(compiled.stdout.contains("checked, consistent"), "\(compiled.stdout)")
        // 2^26 PEs in all: 4 wafers of 4096 x 4096 PEs, not 5.
        let counted = try #require(try Self.run(["count", "examples/models/llama-3.1-8b.yaml", "--target", target, "--wafers", "4"], seconds: 120))
        #expect(counted.status == 0, "\(counted.stderr)")
        #expect(counted.stdout.contains("usable bytes"), "\(counted.stdout)")
        let refused = try #require(try Self.run(["count", "examples/models/llama-3.1-8b.yaml", "--target", target, "--wafers", "5"], seconds: 120))
        #expect(refused.status == 1 && refused.stderr.contains("at most 4 huge wafers"), "\(refused.stderr)")
    }

    /// A 400 KB key (written as an explicit `? KEY` key: libyaml caps implicit keys at 1,024
    /// characters) is quoted in at most 200 characters; the error line stays short.
    @Test func errorsQuoteAtMostAShortPrefixOfTheInput() throws {
        let dir = try Self.scratch()
        defer { try? FileManager.default.removeItem(at: dir) }
        let model = dir.appendingPathComponent("long.yaml").path
        let key = String(repeating: "k", count: 400_000)
        try (try String(contentsOfFile: TestPaths.example("tiny"), encoding: .utf8) + "? \(key)\n: 1\n").write(toFile: model, atomically: true, encoding: .utf8)
        let out = try #require(try Self.run(["count", model]))
        #expect(out.status == 1)
        #expect(out.stderr.contains("unknown key '" + String(repeating: "k", count: 200) + "…'"), "\(out.stderr.prefix(300))")
        #expect(out.stderr.split(separator: "\n").allSatisfy { $0.count < 2_500 })
    }

    /// A control character in a model's name is refused at its line and column; nothing raw is printed.
    @Test func aControlCharacterInANameIsRefusedAtTheReader() throws {
        let dir = try Self.scratch()
        defer { try? FileManager.default.removeItem(at: dir) }
        let model = dir.appendingPathComponent("nul.yaml").path
        let text = try String(contentsOfFile: TestPaths.example("tiny"), encoding: .utf8)
            .replacingOccurrences(of: "name: tiny", with: "name: \"ti\\0ny\\e[31m\"")
        try text.write(toFile: model, atomically: true, encoding: .utf8)
        let out = try #require(try Self.run(["stats", model]))
        #expect(out.status == 1)
        #expect(out.stderr.contains("nul.yaml:"), "\(out.stderr)")
        #expect(out.stderr.contains("control character U+0000"), "\(out.stderr)")
        #expect(!out.stdout.contains("\u{0}") && !out.stderr.contains("\u{0}") && !out.stderr.contains("\u{1B}"))
        // A config.json's model name comes from --name or its directory: the same rule.
        let escaped = dir.appendingPathComponent("evil\u{1B}[31m")
        try FileManager.default.createDirectory(at: escaped, withIntermediateDirectories: true)
        try FileManager.default.copyItem(atPath: TestPaths.fixture("hf/llama-3.1-8b/config.json"), toPath: escaped.appendingPathComponent("config.json").path)
        for arguments in [["stats", escaped.appendingPathComponent("config.json").path],
                          ["import", TestPaths.fixture("hf/llama-3.1-8b/config.json"), "--name", "a\u{7}b", "-o", dir.appendingPathComponent("x.yaml").path]] {
            let config = try #require(try Self.run(arguments))
            #expect(config.status == 1 && config.stderr.contains("control character"), "\(config.stderr)")
            #expect(!config.stdout.contains("\u{1B}") && !config.stderr.contains("\u{1B}") && !config.stdout.contains("\u{7}"))
        }
        #expect(!FileManager.default.fileExists(atPath: dir.appendingPathComponent("x.yaml").path))
    }
}
