import JVPCore
import JVPScript
import JVPStore

/// `jvplab run --fn SRC --input NAME=EXPR ... --kind KIND`: one experiment, recorded as one run.
public enum FunctionRun {
  public static func run(_ spec: FunctionSpec, dtype: DType, options: RunOptions, console: Console,
                         interruption: Interruption? = nil) -> ExitStatus {
    KernelSetup.prepareInBackground()
    guard let store = RunSetup.openStore(options, console: console) else { return .usage }
    let recorder = StoreRecorder(
      store: store, context: RunContext(name: options.name, tags: options.tags, commandLine: options.commandLine),
      lockWait: options.lockWait, console: console)
    if let interruption { recorder.isCancelled = { interruption.isRaised } }
    let interpreter = Interpreter(
      file: "--fn", recorder: recorder,
      options: RunSetup.interpreterOptions(options, console: console, interruption: interruption), output: console.out)
    interpreter.defaultDType = dtype
    let status = LargeStack.run { () -> ExitStatus in
      do throws(ScriptError) {
        if let text = try interpreter.runFunction(spec), options.format == .text { console.out(text + "\n") }
        return .success
      } catch {
        console.err(Self.render(error, spec) + "\n")
        return error.exitStatus
      }
    }
    ScriptRun.report(recorder.ids, store: store, format: options.format, console: console)
    return status.stopped(by: interruption)
  }

  /// Errors point into the option they came from (`--fn`, `--input x`, ...).
  static func render(_ error: ScriptError, _ spec: FunctionSpec) -> String {
    let source: String? = switch error.file {
    case "--fn": spec.source
    case "--cotangent": spec.cotangent
    default:
      spec.inputs.first { "--input \($0.name)" == error.file }?.expression
        ?? spec.tangents.first { "--tangent \($0.name)" == error.file }?.expression
    }
    return source.map { error.render(source: $0) } ?? error.description
  }
}
