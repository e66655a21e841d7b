import JVPCore

/// A tape run (`backward`, `grad`, `forward_ad`) as the store keeps it, to be run again: the statements that
/// built its graph and ran its pass, and what they read.
public struct RecordedStatements {
  public var source: String
  /// The leaves by the global names that held them, bound again as tensors that require grad.
  public var leaves: [(name: String, tensor: Tensor)]
  /// The other globals the statements read, as recorded.
  public var globals: [(name: String, value: RecordedGlobal)]
  /// Sources of the script functions they called, by the global name they called them.
  public var functions: [String: String]
  public var seed: UInt64?

  public init(source: String, leaves: [(name: String, tensor: Tensor)], globals: [(name: String, value: RecordedGlobal)],
              functions: [String: String], seed: UInt64?) {
    self.source = source
    self.leaves = leaves
    self.globals = globals
    self.functions = functions
    self.seed = seed
  }
}

extension Interpreter {
  /// Runs a recorded tape run's statements again on its stored leaves and globals; the pass they run is recorded
  /// as a new run, as the original was.
  public func replay(_ run: RecordedStatements) throws(ScriptError) {
    try prepareReplay(seed: run.seed, globals: run.globals, functions: run.functions)
    let start = SourceLocation(line: 1, column: 1)
    for (name, tensor) in run.leaves {
      let leaf = TapeTensor(value: tensor, requiresGrad: false)
      try located(start) { try leaf.setRequiresGrad(true) }
      globals.bind(name, .tensor(.taped(leaf)))
    }
    sourceLines = run.source.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
    try self.run(try Parser.parse(source: run.source, file: file))
  }
}
