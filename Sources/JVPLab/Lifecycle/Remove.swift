import Foundation
import JVPStore

/// `jvplab rm` and `jvplab restore`: soft deletion, which hides runs from `query` until restored or
/// collected by `jvplab gc`.
public enum Remove {
  /// Which runs a command acts on: references, or a filter over the live (rm) or removed (restore) runs.
  public enum Selection: Sendable {
    case runs([String])
    case filter(String)
  }

  /// Removes the selected runs; every reference is checked first, so an unknown one removes nothing.
  public static func remove(_ selection: Selection, database: String, console: Console) -> ExitStatus {
    Lifecycle.perform(database, console: console) { store in
      let ids = try select(selection, scope: .live, in: store)
      let removed = try store.softDelete(ids)
      let already = ids.filter { !removed.contains($0) }
      if !already.isEmpty { console.err("jvplab: note: \(Lifecycle.list(already)) had been removed already\n") }
      guard !removed.isEmpty else {
        if ids.isEmpty { console.err("jvplab: no live run matches the filter: nothing removed\n") }
        return
      }
      for (parent, child) in try store.liveReplays(of: removed) {
        console.err(
          "jvplab: note: run \(parent) is the parent of replay run \(child), which stays linked: "
            + "gc keeps run \(parent) while run \(child) is not removed\n")
      }
      console.err(
        "jvplab: removed \(Lifecycle.list(removed)) from \(store.path) "
          + "(jvplab restore brings them back; jvplab gc deletes them for good)\n")
    }
  }

  /// Makes removed runs live again.
  public static func restore(_ selection: Selection, database: String, console: Console) -> ExitStatus {
    Lifecycle.perform(database, console: console) { store in
      let ids = try select(selection, scope: .deleted, in: store)
      let restored = try store.restore(ids)
      let live = ids.filter { !restored.contains($0) }
      if !live.isEmpty { console.err("jvplab: note: \(Lifecycle.list(live)) had not been removed\n") }
      if restored.isEmpty {
        if ids.isEmpty { console.err("jvplab: no removed run matches the filter: nothing restored\n") }
        return
      }
      console.err("jvplab: restored \(Lifecycle.list(restored)) in \(store.path)\n")
    }
  }

  private static func select(_ selection: Selection, scope: RunQuery.Scope, in store: any ExperimentStore) throws -> [Int64] {
    switch selection {
    case .runs(let references):
      return try Lifecycle.resolve(references, in: store)
    case .filter(let filter):
      do {
        return try store.ids(matching: try RunQuery(filter: filter, scope: scope)).sorted()
      } catch let error as QueryError {
        throw LabFailure(error.render(filter: filter, sort: ""))
      }
    }
  }
}
