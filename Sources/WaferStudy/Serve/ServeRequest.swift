import WaferMap
import WaferPasses
import WaferReport
import WaferSupport

/// What `wafermap serve` sizes (docs/serving.md): a model on a target under a traffic and the
/// targets it must meet. Every knob, with its default; `validated()` checks ranges.
public struct ServeRequest: Sendable {
    /// The replica's compile: model, target, precisions (each listed precision is a candidate),
    /// context, KV type, defects, pass options, speculative decoding. Its `batch`, `sequences`
    /// and `wafers` are what serve chooses and are overwritten per candidate.
    public var count: CountRequest

    /// Where the traffic comes from: concurrent users, or requests per second.
    public enum Traffic: Sendable, Hashable {
        /// This many sequences decode at once, each keeping its own KV cache.
        case users(Int)
        /// Requests arrive at this rate (requests/s); each prefills its prompt and decodes
        /// `outputTokens`; concurrency follows from Little's law (docs/serving.md).
        case requestRate(Double)
    }
    public var traffic: Traffic = .users(1)

    /// New prompt tokens each request prefills (`--prompt-tokens`). Default nil: the context
    /// less the output, i.e. no prefix cache.
    public var promptTokens: Int?
    /// Tokens each request decodes (`--output-tokens`). Nil (default) with `users`: the steady
    /// state of long sessions, in which prefill is not charged to decode; required with a rate.
    public var outputTokens: Int?

    /// The slowest per-user decode speed a deployment may give (`--tokens-per-s`), tokens/s.
    /// Default nil: no floor.
    public var minTokensPerSPerUser: Double?
    /// The longest time to first token a deployment may give (`--ttft-ms`), milliseconds,
    /// checked against the estimate's pipelined (lower-bound) figure. Default nil.
    public var maxTimeToFirstTokenMs: Double?

    /// Where prompts are prefilled.
    public enum Prefill: Sendable, Hashable, CustomStringConvertible {
        /// On the decode replicas, between decode rounds: the replica spends that time not decoding.
        case same
        /// On a pool of separate replicas of the same model, sized to the request rate.
        case separate
        /// Elsewhere (another system) at this many prompt tokens/s per request; no wafers here.
        case remote(tokensPerS: Double)
        public var description: String {
            switch self {
            case .same: "same"
            case .separate: "separate"
            case let .remote(rate): "remote:\(Units.fixed(rate, digits: 0))"
            }
        }
    }
    /// Prefill placements to consider (`--prefill`). Default nil: same and separate when each
    /// request's prefill is charged (`outputTokens` given), else same only (long sessions: a
    /// separate pool would only add wafers).
    public var prefill: [Prefill]?

    /// The placements priced.
    public var resolvedPrefill: [Prefill] { prefill ?? (outputTokens == nil ? [.same] : [.same, .separate]) }

    /// Micro-batches to try (`--batches`), each 1...64. Default 1, 2, 4, 8.
    public var microBatches: [Int] = [1, 2, 4, 8]
    /// The most sequences one replica keeps (`--max-sequences`, 1...4,096); with a request rate
    /// the candidates are 1, 2, 4, ... up to it. Default 256.
    public var maxSequencesPerReplica = 256
    /// The most wafers a deployment may use in all (`--max-wafers`). Default nil: no cap.
    public var maxWafers: Int?
    /// Rows to print (every Pareto row is printed too). Default 10.
    public var top = 10

    public init(count: CountRequest) { self.count = count }

    /// Refuses values outside the documented ranges. O(knobs).
    public func validated() throws(DiagnosticError) -> ServeRequest {
        func bad(_ message: String) -> DiagnosticError { .error(DriverFailure.flagValue, message, at: nil) }
        switch traffic {
        case let .users(n): guard (1...1 << 20).contains(n) else { throw bad("--users must be between 1 and \(Units.grouped(1 << 20))") }
        case let .requestRate(r):
            guard r.isFinite, r > 0, r <= 1e9 else { throw bad("--request-rate must be a number of requests/s above 0 and at most 1e9") }
            guard outputTokens != nil else { throw .error(DriverFailure.flagConflict, "--request-rate needs --output-tokens (how long each request decodes)", at: nil) }
        }
        let context = count.deployment.contextTokens
        if let o = outputTokens, !(1..<context).contains(o) { throw bad("--output-tokens must be between 1 and the context less one (\(Units.grouped(context - 1)))") }
        if let p = promptTokens, !(1...context).contains(p) { throw bad("--prompt-tokens must be between 1 and the context (\(Units.grouped(context)))") }
        if let x = minTokensPerSPerUser, !(x.isFinite && x > 0 && x <= 1e7) { throw bad("--tokens-per-s must be above 0 and at most 10,000,000") }
        if let t = maxTimeToFirstTokenMs, !(t.isFinite && t > 0 && t <= 1e9) { throw bad("--ttft-ms must be above 0 and at most 1e9") }
        guard !microBatches.isEmpty, microBatches.allSatisfy({ (1...64).contains($0) }) else { throw bad("--batches must list micro-batches between 1 and 64") }
        guard (1...4096).contains(maxSequencesPerReplica) else { throw bad("--max-sequences must be between 1 and 4,096") }
        if let w = maxWafers, !(1...100_000).contains(w) { throw bad("--max-wafers must be between 1 and 100,000") }
        guard top >= 1 else { throw bad("--top must be at least 1") }
        guard !resolvedPrefill.isEmpty else { throw bad("--prefill needs at least one placement") }
        for case let .remote(rate) in resolvedPrefill where !(rate.isFinite && rate > 0 && rate <= 1e12) { throw bad("--prefill remote:RATE needs a rate of prompt tokens/s above 0") }
        return self
    }

    /// Prompt tokens per request: given, else the context less the output (or the whole context).
    public var resolvedPromptTokens: Int {
        promptTokens ?? max(1, count.deployment.contextTokens - (outputTokens ?? 0))
    }
}

extension ServeRequest.Prefill {
    /// Parses `same`, `separate` or `remote:TOKENS_PER_S`.
    public init(parsing text: String) throws(DiagnosticError) {
        switch text {
        case "same": self = .same
        case "separate": self = .separate
        default:
            if text.hasPrefix("remote:"), let rate = Double(text.dropFirst("remote:".count)), rate.isFinite, rate > 0 {
                self = .remote(tokensPerS: rate)
            } else {
                throw .error(DriverFailure.flagValue, "--prefill \(Diagnostic.quoted(text)): expected same, separate or remote:TOKENS_PER_S (prompt tokens/s per request elsewhere)", at: nil)
            }
        }
    }
}
