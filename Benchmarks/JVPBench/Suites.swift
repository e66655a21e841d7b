/// The benchmark suites, by name. Each suite lives in its own file.
enum BenchmarkSuites {
  static let all: [(name: String, run: @Sendable (BenchOptions) throws -> Void)] = [
    ("engine", EngineSuite.run),
    ("cli", CLISuite.run),
    ("expcheck", ExpCheckSuite.run),
    ("store", StoreSuite.run),
    ("matmul", MatMulSuite.run),
    ("lifecycle", LifecycleSuite.run),
    ("func", FuncSuite.run),
    ("sync", SyncSuite.run),
    ("postgres", PostgresSuite.run),
  ]
}
