import Testing
import WaferSupport

/// `parallelMap` returns results in index order whatever the thread count, and `Parallelism`
/// clamps the count it is given.
@Suite(.serialized) struct ParallelMapTests {
    @Test func resultsAreInIndexOrderWhateverTheThreadCount() {
        defer { Parallelism.setThreads(nil) }
        var outputs: [[Int]] = []
        for threads in [1, 2, 3, 8] {
            Parallelism.setThreads(threads)
            #expect(Parallelism.threads == threads)
            outputs.append(parallelMap(37) { i in (0...i).reduce(0, +) })
        }
        #expect(outputs.allSatisfy { $0 == outputs[0] })
        #expect(outputs[0] == (0..<37).map { $0 * ($0 + 1) / 2 })
        #expect(parallelMap(0) { $0 }.isEmpty)
    }

    @Test func threadCountIsClamped() {
        defer { Parallelism.setThreads(nil) }
        Parallelism.setThreads(0)
        #expect(Parallelism.threads == 1)
        Parallelism.setThreads(100_000)
        #expect(Parallelism.threads == Parallelism.maxThreads)
        Parallelism.setThreads(nil)
        #expect(Parallelism.threads >= 1)
    }
}
