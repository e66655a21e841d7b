// swift-tools-version: 6.1
import PackageDescription

// JVPKernels holds the vector kernels that need AVX2 and FMA (bit-exact float32 exp), JVPKernelsAVX512 the
// AVX-512 one; JVPCore calls them only after checking the CPU, so the rest of the code stays portable.
#if arch(x86_64)
let vectorKernelSettings: [SwiftSetting] = [.unsafeFlags(["-target-cpu", "haswell"])]
let avx512KernelSettings: [SwiftSetting] = [.unsafeFlags(["-target-cpu", "skylake-avx512"])]
#else
let vectorKernelSettings: [SwiftSetting] = []
let avx512KernelSettings: [SwiftSetting] = []
#endif

let package = Package(
  name: "jvplab",
  platforms: [.macOS(.v14)],
  products: [
    .executable(name: "jvplab", targets: ["jvplab"]),
    .library(name: "JVPCore", targets: ["JVPCore"]),
  ],
  dependencies: [
    .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
    .package(url: "https://github.com/groue/GRDB.swift", from: "7.10.0"),
    .package(url: "https://github.com/weichsel/ZIPFoundation", exact: "0.9.20"),
    // No default traits: jvplab ui takes no swift-configuration settings, so the binary does not link it.
    .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.28.1", traits: []),
    .package(url: "https://github.com/swift-server/swift-service-lifecycle", from: "2.13.0"),
    // The PostgreSQL team store: PostgresClient with extended-protocol binding; TLS through swift-nio-ssl.
    .package(url: "https://github.com/vapor/postgres-nio", from: "1.33.2"),
    .package(url: "https://github.com/apple/swift-nio-ssl", from: "2.37.6"),
    .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
    .package(url: "https://github.com/apple/swift-nio", from: "2.101.2"),
  ],
  targets: [
    // Vector kernels compiled for AVX2/FMA and for AVX-512, each called only on CPUs that have it; an algorithm
    // both run (tanh) is written once, generic over the lanes, in JVPKernelAlgorithms, compiled for neither.
    .target(name: "JVPKernelAlgorithms"),
    .target(name: "JVPKernelsAVX512", dependencies: ["JVPKernelAlgorithms"], swiftSettings: avx512KernelSettings),
    .target(name: "JVPKernels", dependencies: ["JVPKernelAlgorithms", "JVPKernelsAVX512"], swiftSettings: vectorKernelSettings),
    // Tensors, PyTorch's generator and the autodiff engine (primitives + transforms). Large matrix products run
    // on OpenBLAS (Debian: libopenblas0), which JVPCore opens with dlopen at first use, never links: it must
    // choose OpenBLAS's core type before the library's load-time constructor runs.
    .target(
      name: "JVPCore",
      dependencies: ["JVPKernels"],
      linkerSettings: [.linkedLibrary("dl", .when(platforms: [.linux]))]),
    // The Python subset: lexer, parser, interpreter and PyTorch/IPython display. Release builds skip the
    // runtime exclusivity checks, which cost an eighth of a tight Python loop (Benchmarks/compare_python.py).
    .target(
      name: "JVPScript", dependencies: ["JVPCore"],
      swiftSettings: [.unsafeFlags(["-enforce-exclusivity=unchecked"], .when(configuration: .release))]),
    // SQL schema, embedded into the binary from the top-level migrations/ folder.
    .target(
      name: "JVPMigrations",
      path: "migrations",
      exclude: [],
      resources: [
        .embedInCode("v0001_init.sql"), .embedInCode("v0002_unqueried_indexes.sql"), .embedInCode("v0003_functions.sql"),
        .embedInCode("v0004_shared_tensor_data.sql"), .embedInCode("v0005_merged_pending.sql"),
        .embedInCode("v0006_func_transforms.sql"),
        .embedInCode("v0007_lifecycle_and_sweeps.sql"), .embedInCode("v0008_run_uuids.sql"),
        // The PostgreSQL schema, versioned on its own (pNNNN).
        .embedInCode("postgres/p0001_init.sql"),
      ]
    ),
    // The SQLite experiment store: runs, tensors, timings, checks, tags; the query language.
    .target(
      name: "JVPStore",
      dependencies: [
        .product(name: "GRDB", package: "GRDB.swift"), .product(name: "GRDBSQLite", package: "GRDB.swift"), "JVPMigrations",
        .product(name: "PostgresNIO", package: "postgres-nio"), .product(name: "NIOSSL", package: "swift-nio-ssl"),
        .product(name: "Logging", package: "swift-log"), .product(name: "NIOCore", package: "swift-nio"),
      ]
    ),
    // Use cases behind the commands: record, show, diff, replay, export, bench.
    .target(
      name: "JVPLab",
      dependencies: ["JVPCore", "JVPScript", "JVPStore", .product(name: "ZIPFoundation", package: "ZIPFoundation")]),
    // `jvplab ui`: the history in a browser, served by Hummingbird; kept apart so the other use cases stay server-free.
    .target(
      name: "JVPWeb",
      dependencies: [
        "JVPLab", "JVPStore", .product(name: "Hummingbird", package: "hummingbird"),
        .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
      ]),
    .executableTarget(
      name: "jvplab",
      dependencies: ["JVPLab", "JVPWeb", .product(name: "ArgumentParser", package: "swift-argument-parser")]
    ),
    // Benchmarks, run with `swift run -c release jvplab-bench [suite]`; never part of `swift test`.
    .executableTarget(
      name: "jvplab-bench",
      dependencies: ["JVPCore", "JVPKernels", "JVPScript", "JVPStore", "JVPLab"],
      path: "Benchmarks/JVPBench"
    ),
    .testTarget(name: "JVPCoreTests", dependencies: ["JVPCore", "JVPKernels"], resources: [.copy("Fixtures")]),
    .testTarget(name: "JVPScriptTests", dependencies: ["JVPScript"], resources: [.copy("Fixtures")]),
    .testTarget(name: "JVPStoreTests", dependencies: ["JVPStore", .product(name: "GRDB", package: "GRDB.swift")]),
    // Depends on the executable so process-level tests (concurrent writers, signals) find a built jvplab.
    // GRDB and JVPScript: the reliability suites set up odd database files and fuzz the script parser in-process.
    .testTarget(
      name: "JVPLabTests",
      dependencies: ["JVPLab", "JVPStore", "JVPScript", "jvplab", .product(name: "GRDB", package: "GRDB.swift")],
      resources: [.copy("Fixtures")]),
    .testTarget(
      name: "JVPWebTests",
      dependencies: [
        "JVPWeb", "JVPLab", "JVPStore", "JVPScript", "JVPCore", "jvplab",
        .product(name: "HummingbirdTesting", package: "hummingbird"),
      ]),
  ]
)
