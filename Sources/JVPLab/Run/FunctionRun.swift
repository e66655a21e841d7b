import JVPCore
import JVPScript
import JVPStore

/// `jvplab run --fn SRC --input NAME=EXPR ... --kind KIND`: one experiment, recorded as one run.
public enum FunctionRun {
  public static func run(_ spec: FunctionSpec, dtype: DType, options: RunOptions, console: Console,
                         interruption: Interruption? = nil) -> ExitStatus {
    let store: RunStore
    do {
      store = try DatabaseLocation.open(options.database, mode: .readWrite, storeLimit: options.storeLimit)
    } catch {
      console.err("jvplab: \(error)\n")
      return .usage
    }
    let recorder = StoreRecorder(
      store: store, context: RunContext(name: options.name, tags: options.tags, commandLine: options.commandLine))
    let interpreter = Interpreter(
      file: "--fn", recorder: recorder,
      options: RunSetup.interpreterOptions(options, console: console, interruption: interruption), output: console.out)
    interpreter.defaultDType = dtype
    var status = ExitStatus.success
    do {
      if let text = try interpreter.runFunction(spec), options.format == .text { console.out(text + "\n") }
    } catch {
      console.err(Self.render(error, spec) + "\n")
      status = switch error.kind {
      case .syntax: .usage
      // An --input, --tangent or --cotangent that cannot be evaluated is an input error: no run started.
      case .runtime: Self.isOption(error.file) ? .usage : .runFailed
      case .interrupted: .interrupted
      }
    }
    ScriptRun.report(recorder.ids, store: store, format: options.format, console: console)
    return status
  }

  static func isOption(_ file: String) -> Bool {
    file.hasPrefix("--input ") || file.hasPrefix("--tangent ") || file == "--cotangent"
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
