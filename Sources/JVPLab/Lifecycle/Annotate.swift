import Foundation
import JVPStore

/// `jvplab tag` and `jvplab note`: labels and remarks added to runs after they were recorded.
public enum Annotate {
  /// The arguments of `jvplab tag RUN... KEY=VALUE|-KEY`, sorted out.
  public struct TagChange: Sendable, Equatable {
    public var runs: [String] = []
    public var set: [String: String] = [:]
    public var remove: [String] = []

    /// Reads each argument as a change (`KEY=VALUE` sets, `-KEY` removes) or else a RUN reference.
    public init(_ arguments: [String]) throws(LabFailure) {
      for argument in arguments {
        if let equals = argument.firstIndex(of: "=") {
          let key = String(argument[..<equals])
          guard !key.isEmpty, !key.hasPrefix("-") else {
            throw LabFailure("tag '\(argument)': expected KEY=VALUE with a key that does not start with '-'")
          }
          set[key] = String(argument[argument.index(after: equals)...])
        } else if argument.hasPrefix("-") {
          let key = String(argument.dropFirst())
          guard !key.isEmpty else { throw LabFailure("tag '-': expected -KEY, the tag to remove") }
          remove.append(key)
        } else {
          runs.append(argument)
        }
      }
      guard !runs.isEmpty else { throw LabFailure("tag needs at least one RUN (an id, latest, or latest~N)") }
      guard !set.isEmpty || !remove.isEmpty else { throw LabFailure("tag needs at least one KEY=VALUE to set or -KEY to remove") }
      if let both = remove.first(where: { set[$0] != nil }) {
        throw LabFailure("tag '\(both)' is both set and removed: give one of \(both)=VALUE and -\(both)")
      }
    }
  }

  /// Sets and removes tags on the runs; every run reference is checked before anything changes.
  public static func tag(_ change: TagChange, database: String, console: Console) -> ExitStatus {
    Lifecycle.perform(database, console: console) { store in
      let ids = try Lifecycle.resolve(change.runs, in: store)
      try store.retag(ids, set: change.set, remove: change.remove)
      let what = (change.set.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" } + change.remove.map { "-\($0)" })
        .joined(separator: " ")
      console.err("jvplab: tagged \(Lifecycle.list(ids)) with \(what)\n")
    }
  }

  /// Sets the run's note; an empty text clears it.
  public static func note(_ reference: String, text: String, database: String, console: Console) -> ExitStatus {
    Lifecycle.perform(database, console: console) { store in
      let id = try Lifecycle.resolve([reference], in: store)[0]
      try store.setNote(id, text)
      console.err("jvplab: \(text.isEmpty ? "cleared the note of" : "noted") run \(id)\n")
    }
  }
}

/// What the lifecycle and sweep commands share: opening the store and naming runs.
enum Lifecycle {
  /// Opens the database (for writing unless `mode` says otherwise) and runs `body`; a failure is one line on
  /// stderr and exit 2.
  static func perform(
    _ database: String, mode: StoreAccessMode = .readWrite, console: Console, _ body: (any ExperimentStore) throws -> Void
  ) -> ExitStatus {
    do {
      let store = try DatabaseLocation.open(database, mode: mode, console: console)
      try body(store)
      return .success
    } catch let error as StoreError {
      console.err("jvplab: \(error.message)\n")
      return .usage
    } catch {
      console.err("jvplab: \(error)\n")
      return .usage
    }
  }

  /// The ids the references name, in order without repeats; the first unknown one is an error.
  static func resolve(_ references: [String], in store: any ExperimentStore) throws(StoreError) -> [Int64] {
    var ids: [Int64] = []
    for reference in references {
      let id = try store.resolve(reference)
      if !ids.contains(id) { ids.append(id) }
    }
    return ids
  }

  /// `run 4` or `3 runs (4, 5, 9)`; long lists are cut after ten ids.
  static func list(_ ids: [Int64]) -> String {
    if ids.count == 1 { return "run \(ids[0])" }
    let shown = ids.prefix(10).map(String.init).joined(separator: ", ") + (ids.count > 10 ? ", ..." : "")
    return "\(ids.count) runs (\(shown))"
  }
}
