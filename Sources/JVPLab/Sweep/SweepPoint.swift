import Foundation
import JVPCore
import JVPScript

/// One point of a sweep: the `run --fn` experiment or the script, with the point's values applied.
enum SweepPoint {
  /// Runs the point, recording through `recorder`; nil on success, else the error that stopped it.
  static func run(
    _ plan: SweepPlan, values: [(name: String, value: String)], module: Module?, recorder: StoreRecorder,
    interruption: Interruption?
  ) -> ScriptError? {
    var options = Interpreter.Options()
    options.repeats = plan.repeats
    options.warmup = plan.warmup
    if let interruption { options.isCancelled = { interruption.isRaised } }
    var dtype = plan.dtype
    var spec: FunctionSpec?
    if let function = plan.function, let kind = plan.kind ?? values.first(where: { $0.name == "kind" }).flatMap({ AutodiffKind(rawValue: $0.value) }) {
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
    let interpreter = Interpreter(file: plan.script ?? "--fn", recorder: recorder, options: options, output: { _ in })
    interpreter.defaultDType = dtype
    for (name, value) in globals { interpreter.bindGlobal(name, value) }
    return LargeStack.run { () -> ScriptError? in
      do throws(ScriptError) {
        if let spec {
          _ = try interpreter.runFunction(spec)
        } else if let module {
          try interpreter.run(module)
        }
        return nil
      } catch {
        return error
      }
    }
  }
}

/// A one-line progress bar for a sweep on a terminal: points done and an estimate of the time left.
final class SweepProgress: @unchecked Sendable {
  private let console: Console
  private let total: Int
  private let started = Date()
  private var lastDrawn = Date.distantPast

  init(console: Console, total: Int) {
    self.console = console
    self.total = total
  }

  /// Redraws at most ten times a second, and always for the last point.
  func update(_ done: Int) {
    let now = Date()
    guard done == total || now.timeIntervalSince(lastDrawn) >= 0.1 else { return }
    lastDrawn = now
    let width = 30
    let filled = done * width / max(total, 1)
    let bar = String(repeating: "#", count: filled) + String(repeating: ".", count: width - filled)
    let elapsed = now.timeIntervalSince(started)
    let left = done == 0 ? "" : ", " + Self.clock(elapsed / Double(done) * Double(total - done)) + " left"
    console.err("\r[\(bar)] \(done)/\(total) points\(left)   ")
  }

  /// Ends the bar's line.
  func finish() { console.err("\n") }

  /// `42 s`, `3 min 20 s`, `1 h 05 min`.
  static func clock(_ seconds: Double) -> String {
    let whole = Int(seconds.rounded())
    if whole < 60 { return "\(whole) s" }
    if whole < 3600 { return "\(whole / 60) min \(String(format: "%02d", whole % 60)) s" }
    return "\(whole / 3600) h \(String(format: "%02d", whole / 60 % 60)) min"
  }
}
