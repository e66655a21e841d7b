import Foundation
import JVPCore
import JVPScript
import JVPStore

/// `jvplab replay RUN`: re-executes a recorded call from its stored source and inputs, records the new
/// run as a child of the original, and diffs the two.
public enum Replay {
  public static func run(reference: String, database: String, repeats: Int, tolerance: Diff.Tolerance,
                         format: Diff.Format, commandLine: String?, console: Console) -> ExitStatus {
    do {
      // Replay needs a recorded run: a missing database is an error, never an empty file left behind.
      guard PostgresURL.isPostgres(database) || FileManager.default.fileExists(atPath: database) else {
        throw LabFailure("no jvplab database at \(database) (jvplab run creates one)")
      }
      let store = try DatabaseLocation.open(database, mode: .readWrite, console: console)
      let original = try RunLookup.detail(reference, in: store)
      let rerun: (Interpreter) throws(ScriptError) -> Void
      if isTapeRun(original.info) {
        let statements = try recordedStatements(original)
        rerun = { interpreter throws(ScriptError) in try interpreter.replay(statements) }
      } else if let maker = original.info.madeBy {
        var recorded = try recordedTransform(try RunLookup.detail(String(maker), in: store))
        if ["vjp_fn", "jvp_fn"].contains(original.info.transform) {
          recorded.linearCall = try recordedLinearArguments(original)
        } else {
          // A transform of the made function (`vmap(vjp_fn)`): its spelling, called on its own arguments.
          let applied = try recordedTransform(original)
          recorded.linearCall = applied.arguments.map { .tensor($0) }
          recorded.linearTransform = applied.transform
        }
        rerun = { interpreter throws(ScriptError) in try interpreter.replay(recorded) }
      } else if original.info.transform != nil {
        let recorded = try recordedTransform(original)
        rerun = { interpreter throws(ScriptError) in try interpreter.replay(recorded) }
      } else {
        let experiment = try recordedExperiment(original)
        rerun = { interpreter throws(ScriptError) in try interpreter.replay(experiment) }
      }
      let recorder = StoreRecorder(
        store: store,
        context: RunContext(name: original.info.name, tags: original.tags, script: original.info.script,
                            scriptSHA256: original.info.scriptSHA256, parent: original.id, commandLine: commandLine),
        console: console)
      var options = Interpreter.Options()
      options.repeats = repeats
      let interpreter = Interpreter(
        file: "replay of run \(original.id)", recorder: ReplayRecorder(recorder, original: original.info), options: options
      ) { _ in }
      do {
        try rerun(interpreter)
      } catch {
        console.err(error.description + "\n")
      }
      if recorder.ids.isEmpty, let file = recorder.pending.last {
        throw LabFailure(
          "the replay of run \(original.id) waits in \(file) until the next command merges it; then jvplab diff \(original.id) latest",
          status: .runFailed)
      }
      guard let id = recorder.ids.last, let replayed = try store.run(id: id) else {
        throw LabFailure("replay of run \(original.id) recorded no run", status: .runFailed)
      }
      console.err("jvplab: replayed run \(original.id) as run \(id)\n")
      let report = Diff.compare(original, replayed, tolerance: tolerance)
      console.out((format == .json ? Diff.json(report, original.id, id).text : Diff.text(report, original.id, id)) + "\n")
      return report.equivalent ? .success : .differs
    } catch let failure as LabFailure {
      console.err("jvplab: \(failure.message)\n")
      return failure.status
    } catch {
      console.err("jvplab: \(error)\n")
      return .usage
    }
  }

  /// Runs of the autograd tape: replayed by running their recorded statements again.
  static let tapeKinds: Set<String> = ["backward", "grad", "forward_ad"]

  /// Whether `run` is a tape run: `torch.func.grad` shares the kind `grad` with `torch.autograd.grad` but has a
  /// transform, and is replayed as one.
  static func isTapeRun(_ run: RunInfo) -> Bool { run.transform == nil && tapeKinds.contains(run.kind) }

  /// The statements of a tape run and what they read, rebuilt from what the store holds.
  static func recordedStatements(_ run: RunDetail) throws -> RecordedStatements {
    guard let source = run.info.source, !source.isEmpty else {
      throw LabFailure("run \(run.id) has no recorded statements to replay")
    }
    let starts = run.tensors.filter { $0.role == "leaf_start" }
    let leaves = try run.tensors.filter { $0.role == "input" && $0.name != nil }.map { input in
      let stored = starts.first { $0.index == input.index } ?? input
      guard let tensor = stored.tensor else {
        throw LabFailure("run \(run.id) cannot be replayed: its \(stored.role)\(stored.index) was stored as a summary only (over the store limit)")
      }
      return (name: input.name!, tensor: tensor)
    }
    return RecordedStatements(
      source: source, leaves: leaves, globals: try recordedGlobals(run), functions: run.functions,
      seed: run.info.seed.map { UInt64(bitPattern: $0) })
  }

  /// The call to re-run, rebuilt from what the store holds.
  static func recordedExperiment(_ run: RunDetail) throws -> RecordedExperiment {
    let info = run.info
    guard let kind = AutodiffKind(rawValue: info.kind) else { throw LabFailure("run \(run.id) has unknown kind '\(info.kind)'") }
    guard let source = info.source else { throw LabFailure("run \(run.id) has no stored function source to replay") }
    if let function = info.function, ["Linear", "Sequential", "Tanh", "ReLU"].contains(function), source.hasPrefix(function + "(") {
      throw LabFailure("run \(run.id) differentiated a torch.nn module (\(function)); replay cannot rebuild a module from its repr")
    }
    func tensors(_ role: String) throws -> [Tensor] {
      try run.tensors.filter { $0.role == role }.map { stored in
        guard let tensor = stored.tensor else {
          throw LabFailure("run \(run.id) cannot be replayed: its \(role)\(stored.index) was stored as a summary only (over the store limit)")
        }
        return tensor
      }
    }
    let inputs = try tensors("input")
    let names = run.tensors.filter { $0.role == "input" }.map(\.name)
    var experiment = RecordedExperiment(
      kind: kind, source: source, inputs: inputs,
      inputNames: names.allSatisfy { $0 != nil } ? names.compactMap { $0 } : nil,
      vectors: try tensors(kind == .vjp ? "cotangent" : "tangent"),
      strategy: info.strategy.flatMap(JacobianStrategy.init(rawValue:)) ?? .reverseMode, vectorize: info.vectorize,
      seed: info.seed.map { UInt64(bitPattern: $0) })
    experiment.globals = try recordedGlobals(run)
    experiment.functions = run.functions
    return experiment
  }

  /// The torch.func application to re-run, rebuilt from what the store holds: its tensor arguments in order
  /// (each a plain tensor: a pytree argument's leaves alone cannot rebuild it).
  static func recordedTransform(_ run: RunDetail) throws -> RecordedTransform {
    let transform = run.info.transform ?? ""
    if run.info.madeBy == nil, let reason = RecordedTransform.unreplayable(transform) {
      throw LabFailure("run \(run.id) cannot be replayed: \(transform) \(reason)")
    }
    // `jvp(f, primals, tangents)` stores the primals as `input[0, i]` and the tangents as `tangent[1, i]`.
    let isJVP = transform.hasPrefix("jvp(")
    var count: Int?
    if case .int64(let values)? = run.tensors.first(where: { $0.role == "argument_count" })?.elements, values.count == 1 {
      count = Int(values[0])
    }
    func tensors(_ role: String, position: Int?) throws -> [Tensor] {
      let rows = run.tensors.filter { $0.role == role }
      let prefix = position.map { [$0] } ?? []
      guard rows.map(\.index) == rows.indices.map({ prefix + [$0] }) else {
        throw LabFailure("run \(run.id) cannot be replayed: its arguments are not all tensors (replay rebuilds tensor arguments only)")
      }
      return try rows.map { stored in
        guard let tensor = stored.tensor else {
          throw LabFailure("run \(run.id) cannot be replayed: its \(role)\(stored.index) was stored as a summary only (over the store limit)")
        }
        return tensor
      }
    }
    let arguments = try tensors("input", position: isJVP ? 0 : nil)
    guard count == (isJVP ? 2 : arguments.count) else {
      throw LabFailure("run \(run.id) cannot be replayed: its arguments are not all tensors (replay rebuilds tensor arguments only)")
    }
    var recorded = RecordedTransform(transform: transform, arguments: arguments, seed: run.info.seed.map { UInt64(bitPattern: $0) })
    if case .int64(let values)? = run.tensors.first(where: { $0.role == "generator_offset" })?.elements, values.count == 1 {
      recorded.generatorOffset = Int(values[0])
    }
    if case .float64(let values)? = run.tensors.first(where: { $0.role == "generator_cached_normal" })?.elements, values.count == 1 {
      recorded.generatorCachedNormal = values[0]
    }
    if isJVP { recorded.tangents = try tensors("tangent", position: 1) }
    recorded.globals = try recordedGlobals(run)
    recorded.functions = run.functions
    return recorded
  }

  /// The arguments of a `vjp_fn` or `jvp_fn` call, from its `cotangent` or `tangent` rows: each a tensor
  /// (index `[k]`) or a tuple of tensors (`[k, i]`).
  static func recordedLinearArguments(_ run: RunDetail) throws -> [RecordedTransform.Argument] {
    let role = run.info.transform == "vjp_fn" ? "cotangent" : "tangent"
    var arguments: [RecordedTransform.Argument] = []
    for stored in run.tensors where stored.role == role {
      guard let tensor = stored.tensor else {
        throw LabFailure("run \(run.id) cannot be replayed: its \(role)\(stored.index) was stored as a summary only (over the store limit)")
      }
      switch stored.index.count {
      case 1 where stored.index[0] == arguments.count: arguments.append(.tensor(tensor))
      case 2 where stored.index[0] == arguments.count && stored.index[1] == 0: arguments.append(.tuple([tensor]))
      case 2 where stored.index[0] == arguments.count - 1:
        guard case .tuple(var items) = arguments.last!, stored.index[1] == items.count else { fallthrough }
        items.append(tensor)
        arguments[arguments.count - 1] = .tuple(items)
      default:
        throw LabFailure("run \(run.id) cannot be replayed: its \(role)s are not tensors or tuples of tensors")
      }
    }
    return arguments
  }

  /// The script globals stored with `run`, rebuilt from their rows (`AutodiffCalls.recordedGlobals` has the layout):
  /// plain values have a one-number index; a tuple's or list's elements extend its index.
  static func recordedGlobals(_ run: RunDetail) throws -> [(name: String, value: RecordedGlobal)] {
    let rows = run.tensors.filter { $0.role.hasPrefix("global") }
    var parts: [[Int]: StoredTensor] = [:]
    for row in rows where row.index.count > 1 || row.role == "global_tuple" || row.role == "global_list" { parts[row.index] = row }
    func damaged(_ row: StoredTensor) -> LabFailure {
      LabFailure("run \(run.id) cannot be replayed: its \(row.role)\(row.index) \(row.name ?? "") is damaged or stored as a summary only")
    }
    func value(_ row: StoredTensor) throws -> RecordedGlobal {
      guard let tensor = row.tensor else { throw damaged(row) }
      switch row.role {
      case "global": return .tensor(tensor)
      case "global_number": return .number(tensor)
      case "global_none", "global_bool", "global_string", "global_dtype", "global_size":
        guard let global = row.valueGlobal else { throw damaged(row) }
        return global
      case "global_tuple", "global_list":
        guard case .int64(let counts) = tensor.storage, counts.count == 1, counts[0] >= 0 else { throw damaged(row) }
        let items = try (0..<Int(counts[0])).map { i in
          guard let element = parts[row.index + [i]] else { throw damaged(row) }
          return try value(element)
        }
        return row.role == "global_tuple" ? .tuple(items) : .list(items)
      default:
        throw damaged(row)
      }
    }
    return try rows.filter { $0.index.count == 1 }.map { row in
      guard let name = row.name else { throw LabFailure("run \(run.id) has a \(row.role)\(row.index) without a name") }
      return (name, try value(row))
    }
  }
}

/// Records the replayed call where and as its original was recorded: at the original's script line, and
/// with its generator offset (the replay's inputs are the original's, drawn there), so the two differ
/// only in what the replay measured.
final class ReplayRecorder: RunRecorder {
  let base: StoreRecorder
  let original: RunInfo

  init(_ base: StoreRecorder, original: RunInfo) {
    self.base = base
    self.original = original
    keptTapeRun = Replay.isTapeRun(original) ? TapeRunSource.ordinal(of: original.source ?? "") : nil
  }

  /// For a tape run: which of the tape runs the replayed statements make is the one to keep, and how many went by.
  private let keptTapeRun: Int?
  private var tapeRunsSeen = 0

  func record(_ call: RecordedCall) throws {
    // A `vjp_fn`/`jvp_fn` call is replayed by making the function again: only the call is the new run, made by
    // the original's maker.
    if original.madeBy != nil {
      guard call.transform == original.transform else { return }
      var call = call
      call.madeBy = original.madeBy
      return try recordReplayed(call)
    }
    // A torch.func application among the replayed statements (`g = grad(f)(x)` before `g.sum().backward()`)
    // made a run of its own when the script ran; it is not the one replayed.
    if keptTapeRun != nil, call.transform != nil { return }
    if let keptTapeRun, call.status == .ok, [RunKind.backward, .grad, .forwardAD].contains(call.kind) {
      // Statements replayed in full (a loop) make every pass again: only the original's counterpart is kept.
      tapeRunsSeen += 1
      guard tapeRunsSeen == keptTapeRun else { return }
    }
    try recordReplayed(call)
  }

  private func recordReplayed(_ call: RecordedCall) throws {
    var call = call
    if let line = original.line { call.line = line }
    call.rngOffset = original.rngOffset.map { Int($0) }
    try base.record(call)
  }
}

extension StoredTensor {
  /// The global a `global_none`, `global_bool`, `global_string`, `global_dtype` or `global_size` row stores
  /// (see `AutodiffCalls.recordedGlobals`); nil for other rows and for elements that do not decode.
  var valueGlobal: RecordedGlobal? {
    if role == "global_none" { return RecordedGlobal.none }
    if role == "global_bool" {
      guard shape.isEmpty, case .int64(let values)? = elements, values == [0] || values == [1] else { return nil }
      return .bool(values == [1])
    }
    guard shape.count == 1, case .int64(let values)? = elements else { return nil }
    switch role {
    case "global_size": return values.allSatisfy { $0 >= 0 } ? .size(values.map { Int($0) }) : nil
    case "global_string", "global_dtype":
      let bytes = values.compactMap(UInt8.init(exactly:))
      guard bytes.count == values.count, let text = String(validating: bytes, as: UTF8.self) else { return nil }
      return role == "global_string" ? .string(text) : DType(rawValue: text).map(RecordedGlobal.dtype)
    default: return nil
    }
  }
}
