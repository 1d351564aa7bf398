import WaferIR
import WaferSupport

/// Debug features of the pass manager, as in MLIR's pass manager options.
public struct PassInstrumentation: Sendable, Hashable {
    /// Dump the IR before these passes.
    public var printBefore: Set<String> = []
    /// Dump the IR after these passes.
    public var printAfter: Set<String> = []
    /// Dump the IR after every pass.
    public var printAfterAll = false
    /// Record per-pass wall time.
    public var timing = false
    /// Run the verifier after every pass (on by default; the cost is O(ops x weights)).
    public var verifyEach = true
    /// Dumps print every decoder layer instead of summarising identical ones.
    public var expandLayers = false

    public init() {}
}

/// One IR dump taken by the instrumentation.
public struct IRDump: Sendable, Hashable {
    public enum When: String, Sendable { case before = "Before", after = "After" }
    public var pass: String
    public var when: When
    public var text: String

    /// MLIR-style banner followed by the IR.
    public var rendered: String {
        "// -----// IR Dump \(when.rawValue) \(pass) //----- //\n" + text
    }
}

/// Wall time of one pipeline step, for `--timing`.
public struct StepTiming: Sendable, Hashable {
    public var name: String
    public var seconds: Double
    /// The process's peak resident bytes when the step ended (a high-water mark, so it never falls).
    public var peakResidentBytes: Int
    public init(name: String, seconds: Double, peakResidentBytes: Int = ProcessMemory.peakResidentBytes()) {
        self.name = name; self.seconds = seconds; self.peakResidentBytes = peakResidentBytes
    }
}

/// Runs passes in order with instrumentation and verification after each.
public struct PassManager: Sendable {
    public var passes: [any Pass]
    public var instrumentation: PassInstrumentation

    public init(passes: [any Pass], instrumentation: PassInstrumentation = PassInstrumentation()) {
        self.passes = passes
        self.instrumentation = instrumentation
    }

    /// Runs the pipeline. Dumps go to `dump` as they are taken (so a failing pass still shows
    /// what came before it), and each pass's name to `progress` as it starts; the returned
    /// timings have one row per pass and one for verification.
    public func run(_ graph: inout Graph, context: PassContext = PassContext(),
                    dump: (IRDump) -> Void = { _ in },
                    progress: (String) -> Void = { _ in }) throws(DiagnosticError) -> [StepTiming] {
        let printer = IRPrinter(expandLayers: instrumentation.expandLayers)
        let clock = ContinuousClock()
        var timings: [StepTiming] = []
        var verifySeconds = 0.0
        for pass in passes {
            if instrumentation.printBefore.contains(pass.name) {
                dump(IRDump(pass: pass.name, when: .before, text: printer.print(graph)))
            }
            progress(pass.name)
            let start = clock.now
            try pass.run(&graph, context: context)
            let elapsed = clock.now - start
            timings.append(StepTiming(name: pass.name, seconds: elapsed.seconds))
            graph.appliedPasses.append(pass.name)
            if instrumentation.verifyEach {
                let verifyStart = clock.now
                try Verifier.verify(graph, after: "pass '\(pass.name)'")
                verifySeconds += (clock.now - verifyStart).seconds
            }
            if instrumentation.printAfterAll || instrumentation.printAfter.contains(pass.name) {
                dump(IRDump(pass: pass.name, when: .after, text: printer.print(graph)))
            }
        }
        if instrumentation.verifyEach { timings.append(StepTiming(name: "(verifier)", seconds: verifySeconds)) }
        return timings
    }
}

extension Duration {
    /// The duration in seconds as a Double.
    public var seconds: Double {
        let parts = components
        return Double(parts.seconds) + Double(parts.attoseconds) / 1e18
    }
}
