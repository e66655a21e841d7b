import Foundation
import JVPCore
import JVPScript
import JVPStore

/// `jvplab sweep`: every point of a grid recorded as a run, in one process with the engine warm.
///
/// The function form builds the `--fn` experiment of each point (grid variables bound as globals
/// before the inputs are evaluated; `strategy`, `vectorize`, `dtype`, `seed` and `kind` set the
/// options); the script form runs the script once per point with the variables bound first. SIGINT
/// stops after the current point, keeping the finished ones; `--resume` runs the points still missing.
public enum Sweep {
  /// What a sweep records beyond its plan: where, and how runs are stored.
  public struct Settings: Sendable {
    public var database: String
    public var commandLine: String?
    public var storeLimit = 16 * 1024 * 1024
    public var lockWait: TimeInterval = 60

    public init(database: String) { self.database = database }
  }

  /// Starts a new sweep of `plan`, already validated.
  public static func run(_ plan: SweepPlan, settings: Settings, console: Console, interruption: Interruption? = nil) -> ExitStatus {
    KernelSetup.prepareInBackground()
    var plan = plan
    var module: Module?
    if let script = plan.script {
      guard let loaded = loadScript(script, console: console) else { return .usage }
      plan.scriptSHA256 = loaded.sha256
      module = loaded.module
    }
    guard let store = open(settings, console: console) else { return .usage }
    let count = plan.pointCount ?? 0
    let id: Int64
    do {
      id = try store.createSweep(name: plan.name, spec: try encode(plan), points: count)
    } catch {
      console.err("jvplab: \(error)\n")
      return .usage
    }
    console.err("jvplab: sweep \(id): \(count) point\(count == 1 ? "" : "s") into \(store.path)\n")
    return execute(plan, id: id, points: Array(0..<count), module: module, store: store, settings: settings, console: console,
                   interruption: interruption)
  }

  /// Runs the points of sweep `id` that have no finished run, with the plan it was started with.
  public static func resume(_ id: Int64, settings: Settings, console: Console, interruption: Interruption? = nil) -> ExitStatus {
    KernelSetup.prepareInBackground()
    guard let store = open(settings, console: console) else { return .usage }
    do {
      guard let record = try store.sweep(id) else { throw LabFailure("no sweep \(id) in \(store.path)") }
      let plan = try JSONDecoder().decode(SweepPlan.self, from: Data(record.spec.utf8))
      var module: Module?
      if let script = plan.script {
        guard let loaded = loadScript(script, console: console) else { return .usage }
        guard loaded.sha256 == plan.scriptSHA256 else {
          throw LabFailure("\(script) changed since sweep \(id) began: its points would not be comparable (start a new sweep)")
        }
        module = loaded.module
      }
      var finished = try store.finishedPoints(ofSweep: id)
      if let partial = record.partialPoint {
        // The point's runs from the stopped attempt are removed (restorable), so the point's runs are
        // one whole attempt once it has run again.
        finished.remove(partial)
        let earlier = try store.runs(ofSweep: id).filter { $0.info.sweepPoint == partial }.map(\.id)
        if !(try store.softDelete(earlier)).isEmpty {
          console.err(
            "jvplab: sweep \(id): point \(partial) was stopped midway: its earlier \(Lifecycle.list(earlier)) removed "
              + "(jvplab restore brings them back)\n")
        }
      }
      let missing = (0..<record.points).filter { !finished.contains($0) }
      guard !missing.isEmpty else {
        try store.setSweepStatus(id, .done)
        console.err("jvplab: sweep \(id) has every one of its \(record.points) points: nothing to resume\n")
        return .success
      }
      try store.setSweepStatus(id, .running)
      console.err("jvplab: sweep \(id): resuming \(missing.count) of \(record.points) points into \(store.path)\n")
      return execute(plan, id: id, points: missing, module: module, store: store, settings: settings, console: console,
                     interruption: interruption)
    } catch {
      console.err("jvplab: \(error)\n")
      return .usage
    }
  }

  /// Runs `points` of sweep `id` in order and sets the sweep's status at the end.
  private static func execute(
    _ plan: SweepPlan, id: Int64, points: [Int], module: Module?, store: any ExperimentStore, settings: Settings, console: Console,
    interruption: Interruption?
  ) -> ExitStatus {
    // One thread with a large stack for every point: starting one per point cost more than a small point.
    let (ids, failures, stop) = LargeStack.run {
      runPoints(plan, id: id, points: points, module: module, store: store, settings: settings, console: console,
                interruption: interruption)
    }
    let sweepStatus = stop?.sweep ?? .done
    do {
      try store.setSweepStatus(id, sweepStatus, partialPoint: stop?.partial)
    } catch {
      console.err("jvplab: \(error)\n")
    }
    let runs = ids.isEmpty ? "no run" : ids.count == 1 ? "run \(ids[0])" : "\(ids.count) runs (\(ids[0])-\(ids[ids.count - 1]))"
    switch sweepStatus {
    case .interrupted:
      let finished = (try? store.finishedPoints(ofSweep: id).count) ?? 0
      let total = plan.pointCount ?? 0
      console.err(
        "jvplab: sweep \(id) interrupted with \(finished) of \(total) points recorded (\(runs) now): "
          + "jvplab sweep --resume \(id) runs the other \(total - finished)\n")
    case .failed:
      console.err("jvplab: sweep \(id) stopped (\(runs) recorded): fix the command line and start a new sweep\n")
    case .done, .running:
      let failed = failures == 0 ? "" : ", \(failures) point\(failures == 1 ? "" : "s") failed"
      console.err("jvplab: sweep \(id): recorded \(runs) in \(store.path)\(failed); jvplab sweep show \(id) tabulates them\n")
    }
    let status = stop?.status ?? (failures > 0 ? .runFailed : .success)
    return status.stopped(by: interruption)
  }

  /// Runs `points` in order until they are done, a signal arrives or an input error stops the sweep.
  private static func runPoints(
    _ plan: SweepPlan, id: Int64, points: [Int], module: Module?, store: any ExperimentStore, settings: Settings, console: Console,
    interruption: Interruption?
  ) -> (ids: [Int64], failures: Int, stop: (status: ExitStatus, sweep: SweepStatus, partial: Int?)?) {
    let progress = console.errIsTerminal ? SweepProgress(console: console, total: points.count) : nil
    // One recorder for every point, its runs committed in groups; `finish` below commits the last group
    // before the sweep's status is written, whichever way the loop ends.
    let recorder = StoreRecorder(
      store: store, context: RunContext(), lockWait: settings.lockWait, console: console, grouped: RunGroupBounds())
    recorder.flush(before: interruption)
    if let interruption { recorder.isCancelled = { interruption.isRaised } }
    let shared = plan.function != nil ? SweepPoint.interpreter(plan, recorder: recorder, interruption: interruption) : nil
    var failures = 0
    var stop: (status: ExitStatus, sweep: SweepStatus, partial: Int?)?
    for (done, index) in points.enumerated() {
      if interruption?.isRaised == true {
        stop = (.interrupted, .interrupted, nil)
        break
      }
      let values = plan.point(index)
      var context = RunContext(name: plan.name, tags: plan.tags, script: plan.script, scriptSHA256: plan.scriptSHA256,
                               commandLine: settings.commandLine)
      context.sweep = id
      context.sweepPoint = index
      context.grid = Dictionary(values.map { ($0.name, $0.value) }, uniquingKeysWith: { a, _ in a })
      recorder.context = context
      let interpreter = shared ?? SweepPoint.interpreter(plan, recorder: recorder, interruption: interruption)
      let outcome = SweepPoint.run(plan, values: values, module: module, interpreter: interpreter)
      progress?.update(done + 1)
      guard let error = outcome else { continue }
      let label = values.map { "\($0.name)=\($0.value)" }.joined(separator: " ")
      switch error.kind {
      case .interrupted:
        stop = (.interrupted, .interrupted, plan.script != nil ? index : nil)
      case .syntax:
        console.err("jvplab: sweep \(id), point \(index) (\(label)): \(error.description)\n")
        stop = (.usage, .failed, nil)
      case .runtime:
        console.err("jvplab: sweep \(id), point \(index) (\(label)): \(error.description)\n")
        failures += 1
        continue
      }
      break
    }
    progress?.finish()
    // Runs a failed commit saved to pending files join the sweep when merged: --resume counts them.
    if recorder.finish(.success) != .success, stop == nil { stop = (.runFailed, .interrupted, nil) }
    return (recorder.ids, failures, stop)
  }

  /// The text of the script a sweep would run, for `SweepPlan.validate`; a special file (a FIFO would
  /// block) or an unreadable one is an error naming it.
  public static func scriptText(_ path: String) throws(LabFailure) -> String {
    if let kind = FileKind.special(atPath: path) { throw LabFailure("cannot read script \(path): it is \(kind), not a file") }
    do {
      return String(decoding: try Data(contentsOf: URL(fileURLWithPath: path)), as: UTF8.self)
    } catch {
      throw LabFailure("cannot read script \(path): \(ScriptRun.reason(error))")
    }
  }

  private static func open(_ settings: Settings, console: Console) -> (any ExperimentStore)? {
    var options = RunOptions(database: settings.database)
    options.storeLimit = settings.storeLimit
    return RunSetup.openStore(options, console: console)
  }

  private static func encode(_ plan: SweepPlan) throws -> String {
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.sortedKeys]
    return String(decoding: try encoder.encode(plan), as: UTF8.self)
  }

  /// The script parsed once for every point, and its digest; nil after reporting why it cannot be.
  private static func loadScript(_ path: String, console: Console) -> (module: Module, sha256: String)? {
    guard let bytes = ScriptRun.read(path, console: console) else { return nil }
    let parsed = LargeStack.run { () -> Result<Module, ScriptError> in
      do throws(ScriptError) {
        return .success(try Parser.parse(bytes: bytes, file: path))
      } catch {
        return .failure(error)
      }
    }
    switch parsed {
    case .success(let module): return (module, SHA256.hex(bytes))
    case .failure(let error):
      console.err(error.render(source: String(decoding: bytes, as: UTF8.self)) + "\n")
      return nil
    }
  }
}
