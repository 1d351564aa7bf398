import Dispatch
import Foundation

/// The process's progress on stderr: started in `main` for every command, so that no command
/// runs 10 s without a line, whatever it does (`count` with thousands of precisions, `stats` on a
/// config with thousands of patterns, `check-plan` on a large plan). Commands with stages
/// (compile, check, repair, calibrate, sweep) name them. On a terminal each stage is named as
/// it starts. Elsewhere (a script, a CI log) a run stays quiet while it
/// is short and, once it has run for `quietSeconds`, names the stage it is in every
/// `heartbeatSeconds`, so no run goes 10 s without a line on stderr. Stdout is never touched.
final class StderrProgress: @unchecked Sendable {
    /// Seconds a run stays quiet off a terminal (`WAFERMAP_PROGRESS_AFTER` overrides it, for
    /// tests and for logs that want every stage), and between heartbeats after that.
    /// Studies (`sweep`, `yield`, `serve`) say where they are after 1 s rather than 2: they run many
    /// compiles, and a user waiting on one wants to see it counting (`config i of n`).
    static let quietSeconds: Double = quietSeconds(command: commandName)

    /// The quiet period of `command`: the `WAFERMAP_PROGRESS_AFTER` override (0...3600 s),
    /// else 1 s for a study and 2 s for any other command. O(1).
    static func quietSeconds(command: String) -> Double {
        guard let text = ProcessInfo.processInfo.environment["WAFERMAP_PROGRESS_AFTER"], let value = Double(text), value >= 0, value <= 3600 else {
            return studyCommands.contains(command) ? 1 : 2
        }
        return value
    }
    /// The commands that run a study of many compiles.
    static let studyCommands: Set<String> = ["sweep", "yield", "serve"]
    /// The subcommand this process runs (its first argument that is not a flag).
    static let commandName = CommandLine.arguments.dropFirst().first { !$0.hasPrefix("-") } ?? "wafermap"
    static let heartbeatSeconds = 5.0

    private let lock = NSLock()
    private let start = DispatchTime.now()
    private let terminal: Bool
    private let command: String
    private var stage = "working"
    private var stageStart = DispatchTime.now()
    private var timer: (any DispatchSourceTimer)?

    init(command: String) {
        self.command = command
        terminal = isatty(STDERR_FILENO) == 1
        guard !terminal else { return }
        let source = DispatchSource.makeTimerSource(queue: .global(qos: .utility))
        source.schedule(deadline: .now() + Self.quietSeconds, repeating: Self.heartbeatSeconds)
        source.setEventHandler { [weak self] in self?.heartbeat(command) }
        source.resume()
        timer = source
    }

    deinit { timer?.cancel() }

    /// Stops the heartbeat (call when the work is done, before printing results).
    func finish() {
        lock.lock(); defer { lock.unlock() }
        timer?.cancel()
        timer = nil
    }

    /// The stage that starts now.
    func callAsFunction(_ name: String) {
        lock.lock()
        stage = name
        stageStart = .now()
        lock.unlock()
        // On a terminal, or when asked for every stage (WAFERMAP_PROGRESS_AFTER=0), say it now.
        if terminal || Self.quietSeconds == 0 { writeStderr("wafermap \(command): \(name)...\n") }
    }

    private func heartbeat(_ command: String) {
        lock.lock()
        let now = DispatchTime.now()
        let total = Double(now.uptimeNanoseconds - start.uptimeNanoseconds) / 1e9
        let inStage = Double(now.uptimeNanoseconds - stageStart.uptimeNanoseconds) / 1e9
        let line = "wafermap \(command): \(stage) (\(String(format: "%.0f", inStage)) s in this step, \(String(format: "%.0f", total)) s in all)...\n"
        let active = timer != nil
        lock.unlock()
        if active { writeStderr(line) }
    }
}

/// The one progress reporter of this process, named after its subcommand; `main` touches it
/// first, which starts the heartbeat.
let processProgress = StderrProgress(command: StderrProgress.commandName)
