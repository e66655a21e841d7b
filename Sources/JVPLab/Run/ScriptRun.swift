import Foundation
import JVPCore
import JVPScript
import JVPStore

/// `jvplab run SCRIPT.py`: executes a notebook script, prints its transcript, records every autodiff call.
public enum ScriptRun {
  /// Runs the script at `path` and returns the exit status; errors are reported on `console.err`.
  public static func run(path: String, options: RunOptions, console: Console, interruption: Interruption? = nil) -> ExitStatus {
    KernelSetup.prepareInBackground()
    guard let bytes = read(path, console: console) else { return .usage }
    let source = String(decoding: bytes, as: UTF8.self)
    let parsed = LargeStack.run { () -> Result<Module, ScriptError> in
      do throws(ScriptError) {
        return .success(try Parser.parse(bytes: bytes, file: path))
      } catch {
        return .failure(error)
      }
    }
    let module: Module
    switch parsed {
    case .success(let value): module = value
    case .failure(let error):
      console.err(error.render(source: source) + "\n")
      return error.exitStatus
    }
    guard let store = RunSetup.openStore(options, console: console) else { return .usage }
    let context = RunContext(
      name: options.name, tags: options.tags, script: path, scriptSHA256: SHA256.hex(bytes), commandLine: options.commandLine)
    // A script's calls are committed in groups: in a loop of small calls one transaction per run was
    // two thirds of a call. Each way out below goes through `finish`.
    let recorder = StoreRecorder(
      store: store, context: context, lockWait: options.lockWait, console: console, grouped: RunGroupBounds())
    recorder.flush(before: interruption)
    if let interruption { recorder.isCancelled = { interruption.isRaised } }
    let transcript = options.format == .text ? console.out : { _ in }
    let interpreter = Interpreter(
      file: path, recorder: recorder,
      options: RunSetup.interpreterOptions(options, console: console, interruption: interruption), output: transcript)
    interpreter.sourceLines = source.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
    let status = LargeStack.run { () -> ExitStatus in
      do throws(ScriptError) {
        try interpreter.run(module)
        return .success
      } catch {
        console.err(error.render(source: source) + "\n")
        return error.exitStatus
      }
    }
    let recorded = recorder.finish(status)
    report(recorder.ids, store: store, format: options.format, console: console)
    return recorded.stopped(by: interruption)
  }

  /// The script's bytes, or nil after saying on `console` why it cannot be read.
  static func read(_ path: String, console: Console) -> [UInt8]? {
    if let kind = FileKind.special(atPath: path) {
      // Foundation's own messages for these are "The operation could not be completed" and "You
      // don't have permission"; a FIFO would block the read besides.
      console.err("jvplab: cannot read script \(path): it is \(kind), not a file\n")
      return nil
    }
    do {
      return Array(try Data(contentsOf: URL(fileURLWithPath: path)))
    } catch {
      console.err("jvplab: cannot read script \(path): \(Self.reason(error))\n")
      return nil
    }
  }

  /// Names the recorded runs on stderr, and prints their run objects on stdout for `--format json`.
  static func report(_ ids: [Int64], store: any ExperimentStore, format: RunOptions.Format, console: Console) {
    if let first = ids.first, let last = ids.last {
      let span = ids.count == 1 ? "run \(first)" : "\(ids.count) runs (\(first)-\(last))"
      console.err("jvplab: recorded \(span) in \(store.path)\n")
    }
    guard format == .json else { return }
    do throws(StoreError) {
      var objects: [JSON] = []
      for id in ids {
        if let detail = try store.run(id: id) { objects.append(RunJSON.object(detail, includeTensors: true)) }
      }
      console.out(RunJSON.encode(objects) + "\n")
    } catch {
      console.err("jvplab: \(error.message)\n")
    }
  }

  static func reason(_ error: Error) -> String {
    let nsError = error as NSError
    if let underlying = nsError.userInfo[NSUnderlyingErrorKey] as? NSError, underlying.domain == NSPOSIXErrorDomain {
      return String(cString: strerror(Int32(underlying.code)))
    }
    if nsError.domain == NSCocoaErrorDomain && nsError.code == NSFileReadNoSuchFileError { return "no such file" }
    return nsError.localizedDescription
  }
}

extension ScriptError {
  /// The documented exit code: 2 for a script that does not parse, 3 for one that failed, 130 for SIGINT.
  var exitStatus: ExitStatus {
    switch kind {
    case .syntax: .usage
    case .runtime: .runFailed
    case .interrupted: .interrupted
    }
  }
}
