// swift-tools-version:6.0
// WaferMap: maps large language models onto wafer-scale accelerators.
// The target list is the pipeline: YAML -> frontend -> IR -> passes -> back end (plan) and
// performance model -> reports -> driver -> CLI; the executor reads plans only.
import PackageDescription

let package = Package(
    name: "WaferMap",
    platforms: [.macOS(.v13)],
    products: [
        .executable(name: "wafermap", targets: ["wafermap"]),
        .library(name: "WaferMap", targets: ["WaferMap"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        // Heap for the executor's event queue (product HeapModule only); the router's A* uses its own
        // 4-ary integer-key heap (Sources/WaferPasses/Route/OpenHeap.swift), measured faster on its hot path.
        .package(url: "https://github.com/apple/swift-collections", from: "1.6.0"),
    ],
    targets: [
        // Debian's libyaml-dev, found through pkg-config (yaml-0.1). Module map only.
        .systemLibrary(
            name: "CYAML",
            pkgConfig: "yaml-0.1",
            providers: [.apt(["libyaml-dev"])]
        ),
        // Source locations, diagnostics, units, number formats, checked arithmetic, atomic files,
        // text tables, the one JSON encoder set-up, SHA-256, the seeded RNG.
        .target(name: "WaferSupport"),
        // libyaml events -> a located YAML node tree, with bounded aliases and merge keys.
        .target(name: "WaferYAML", dependencies: ["CYAML", "WaferSupport"]),
        // Target descriptions (wse3, wse2, small test fabrics) and defect maps.
        .target(name: "WaferTarget", dependencies: ["WaferYAML", "WaferSupport"]),
        // The typed IR: graph, ops, tensors, printer, verifier, parameter/byte accounting.
        .target(name: "WaferIR", dependencies: ["WaferSupport"]),
        // Model description (YAML) -> ModelSpec -> IR.
        .target(name: "WaferFrontend", dependencies: ["WaferYAML", "WaferIR", "WaferSupport"]),
        // Pass protocol, pass manager with instrumentation, the pass registry, one file per pass.
        .target(name: "WaferPasses", dependencies: [
            "WaferIR", "WaferTarget", "WaferYAML", "WaferSupport",
        ]),
        // The plan format: what the back end writes and an executor reads (no passes, no IR).
        .target(name: "WaferPlan", dependencies: ["WaferSupport"]),
        // The embedded executor: replays a plan on simulated wafers (structure, numerics, timing).
        // Reads plans only; it must never depend on the passes or the IR (a test checks).
        .target(name: "WaferExec", dependencies: ["WaferPlan", "WaferSupport", .product(name: "HeapModule", package: "swift-collections")]),
        // The analytic performance model of a scheduled graph, placement and routing quality
        // figures, the calibration file reader and the calibration least-squares fit.
        .target(name: "WaferPerf", dependencies: ["WaferPasses", "WaferIR", "WaferTarget", "WaferYAML", "WaferSupport"]),
        // The back end: a compiled graph (IR) -> a plan; pins read back from a plan; repair deltas.
        // Never depends on the executor: the checker stays independent of what it checks.
        .target(name: "WaferBackend", dependencies: ["WaferPerf", "WaferPasses", "WaferIR", "WaferPlan", "WaferTarget", "WaferSupport"]),
        // Renderers that need no driver: model statistics, stage timings, the count, check and
        // benchmark reports, the pass-option listing, SVG pictures.
        .target(name: "WaferReport", dependencies: ["WaferPerf", "WaferPasses", "WaferIR", "WaferPlan", "WaferExec", "WaferTarget", "WaferSupport"]),
        // The driver: assembles pipelines, returns result values and renders them.
        .target(name: "WaferMap", dependencies: ["WaferFrontend", "WaferPasses", "WaferTarget", "WaferIR", "WaferPlan", "WaferExec", "WaferBackend", "WaferPerf", "WaferReport", "WaferYAML", "WaferSupport"]),
        // Studies: many compiles behind one answer. Deployment sizing (`serve`), yield over defect
        // maps (`yield`), sweeps (`sweep`), and the shard/merge format that spreads them over a cluster.
        .target(name: "WaferStudy", dependencies: ["WaferMap", "WaferFrontend", "WaferPerf", "WaferPasses", "WaferReport", "WaferPlan", "WaferTarget", "WaferIR", "WaferSupport"]),
        // The thin command-line front.
        .executableTarget(
            name: "wafermap",
            dependencies: [
                "WaferMap", "WaferStudy", "WaferReport", "WaferFrontend", "WaferPasses", "WaferTarget", "WaferSupport",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),
        // Paths to fixtures and examples, and a runner for the built CLI; used by tests only.
        .target(name: "WaferTestSupport", path: "Tests/WaferTestSupport"),
        .testTarget(name: "WaferSupportTests", dependencies: ["WaferSupport"]),
        .testTarget(name: "WaferYAMLTests", dependencies: ["WaferYAML", "WaferSupport", "WaferTestSupport"]),
        .testTarget(name: "WaferIRTests", dependencies: ["WaferIR", "WaferSupport"]),
        .testTarget(name: "WaferTargetTests", dependencies: ["WaferTarget", "WaferSupport", "WaferTestSupport"]),
        .testTarget(name: "WaferFrontendTests", dependencies: ["WaferFrontend", "WaferPasses", "WaferIR", "WaferSupport", "WaferTestSupport"]),
        .testTarget(name: "WaferPassesTests", dependencies: ["WaferPasses", "WaferFrontend", "WaferIR", "WaferTarget", "WaferSupport", "WaferTestSupport"]),
        .testTarget(name: "WaferPlanTests", dependencies: ["WaferPlan", "WaferSupport"]),
        .testTarget(name: "WaferExecTests", dependencies: ["WaferExec", "WaferPlan", "WaferMap", "WaferReport", "WaferSupport", "WaferTestSupport"]),
        // End-to-end: runs the built `wafermap` executable (the dependency makes SwiftPM build it).
        .testTarget(name: "WaferMapTests", dependencies: ["WaferMap", "WaferStudy", "WaferBackend", "WaferPerf", "WaferReport", "WaferFrontend", "WaferIR", "WaferPasses", "WaferPlan", "WaferTarget", "WaferExec", "WaferSupport", "wafermap", "WaferTestSupport"]),
        // Text-driven tests: each file under Tests/Fixtures/text is a command and its expected
        // output or diagnostics, run on the built `wafermap` (docs/testing.md).
        .testTarget(name: "WaferTextTests", dependencies: ["wafermap", "WaferTestSupport"]),
    ],
    swiftLanguageModes: [.v6]
)
