import Foundation
import JVPCore
import JVPScript

/// One point of a sweep: the `run --fn` experiment or the script, with the point's values applied.
enum SweepPoint {
  /// An interpreter for the points of `plan`, recording through `recorder`. The function form runs
  /// every point on one (its option expressions parsed once, the torch names bound once); a script
  /// runs on a fresh one per point, so that no global of one point reaches the next.
  static func interpreter(_ plan: SweepPlan, recorder: StoreRecorder, interruption: Interruption?) -> Interpreter {
    var options = Interpreter.Options()
    options.repeats = plan.repeats
    options.warmup = plan.warmup
    if let interruption { options.isCancelled = { interruption.isRaised } }
    return Interpreter(file: plan.script ?? "--fn", recorder: recorder, options: options, output: { _ in })
  }

  /// Runs the point on `interpreter`; nil on success, else the error that stopped it.
  /// Called on a thread with a large stack (`LargeStack`), as the interpreter needs.
  static func run(
    _ plan: SweepPlan, values: [(name: String, value: String)], module: Module?, interpreter: Interpreter
  ) -> ScriptError? {
    var dtype = plan.dtype
    var spec: FunctionSpec?
    let sweptKind = values.first { $0.name == "kind" }.flatMap { AutodiffKind(rawValue: $0.value) }
    if let function = plan.function, let kind = plan.kind ?? sweptKind {
      spec = FunctionSpec(source: function, inputs: plan.inputs.map { ($0.name, $0.expression) }, kind: kind)
      spec?.strategy = plan.strategy
      spec?.vectorize = plan.vectorize
      spec?.seed = plan.seed
    }
    var globals: [(String, ScriptConstant)] = []
    for (name, value) in values {
      switch (name, spec != nil) {
      case ("dtype", _): dtype = DType(rawValue: value) ?? dtype
      case ("strategy", true): spec?.strategy = JacobianStrategy(rawValue: value) ?? .reverseMode
      case ("vectorize", true): spec?.vectorize = value == "true"
      case ("seed", true): spec?.seed = Int(value) ?? 0
      case ("kind", true): spec?.kind = AutodiffKind(rawValue: value) ?? .jvp
      default: globals.append((name, ScriptConstant(parsing: value)))
      }
    }
    if var function = spec {
      // A swept kind takes the vectors that go with it, as `run` allows them.
      function.tangents = [.jvp, .hvp, .vhp].contains(function.kind) ? plan.tangents.map { ($0.name, $0.expression) } : []
      function.cotangent = function.kind == .vjp ? plan.cotangent : nil
      spec = function
    }
    interpreter.defaultDType = dtype
    for (name, value) in globals { interpreter.bindGlobal(name, value) }
    do throws(ScriptError) {
      if let spec {
        _ = try interpreter.runFunction(spec, display: false)
      } else if let module {
        try interpreter.run(module)
      }
      return nil
    } catch {
      return error
    }
  }
}
