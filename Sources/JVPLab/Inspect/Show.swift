import Foundation
import JVPScript
import JVPStore

/// `jvplab show RUN`: everything recorded about one run.
public enum Show {
  public enum Format: String, Sendable, CaseIterable {
    case text, json
  }

  public static func run(reference: String, database: String, format: Format, console: Console) -> ExitStatus {
    do {
      let store = try DatabaseLocation.open(database, mode: .readOnly, console: console)
      let detail = try RunLookup.detail(reference, in: store)
      console.out((format == .json ? RunJSON.object(detail, includeTensors: true).text : text(detail)) + "\n")
      return .success
    } catch {
      console.err("jvplab: \(error)\n")
      return .usage
    }
  }

  /// Metadata, each tensor as PyTorch prints it, timings and checks.
  public static func text(_ detail: RunDetail) -> String {
    let info = detail.info
    var lines = ["run \(detail.id)  \(info.kind)  \(info.status.rawValue)" + (info.name.map { "  \"\($0)\"" } ?? "")]
    var metadata: [[String]] = []
    func add(_ key: String, _ value: String?) { if let value { metadata.append(["  " + key, value]) } }
    add("function", info.function)
    add("transform", info.transform)
    add("script", info.script.map { path in path + (info.line.map { ":\($0)" } ?? "") })
    add("strategy", info.strategy.map { $0 + (info.vectorize ? ", vectorized" : "") })
    add("dtype", info.dtype)
    add("seed", info.seed.map { "\($0)" + (info.rngOffset.map { " (rng_offset \($0))" } ?? "") })
    add("parent", info.parent.map { "run \($0)" })
    add("made by", info.madeBy.map { "run \($0)" })
    add("started", RunJSON.timestamp.format(info.started))
    add("finished", info.finished.map { RunJSON.timestamp.format($0) })
    add("host", info.host)
    add("jvplab", info.jvplabVersion)
    add("uuid", info.uuid)
    let grid = detail.grid.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: " ")
    add("sweep", info.sweep.map { "\($0), point \(info.sweepPoint ?? 0)" + (grid.isEmpty ? "" : ": " + grid) })
    add("deleted", info.deleted.map { RunJSON.timestamp.format($0) + " (jvplab restore \(detail.id) brings it back)" })
    add("tags", detail.tags.isEmpty ? nil : detail.tags.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: " "))
    add("error", info.error)
    lines.append(Formatting.table(metadata))
    if let note = info.note {
      lines.append("note:")
      lines += note.split(separator: "\n", omittingEmptySubsequences: false).map { "    " + $0 }
    }
    if let source = info.source {
      lines.append("source:")
      lines += source.split(separator: "\n", omittingEmptySubsequences: false).map { "    " + $0 }
    }
    for (name, source) in detail.functions.sorted(by: { $0.key < $1.key }) {
      lines.append("calls \(name):")
      lines += source.split(separator: "\n", omittingEmptySubsequences: false).map { "    " + $0 }
    }
    lines.append("tensors:")
    for stored in detail.tensors {
      let label = "  \(stored.role)\(stored.index)" + (stored.name.map { " \($0)" } ?? "")
      // A string, None, torch.Size or dtype global as Python shows it, not as the int64 tensor it is stored as.
      if let global = stored.valueGlobal {
        lines.append(label + "  \(global.typeName)")
        lines.append(global.pythonRepr)
        continue
      }
      lines.append(label + "  \(stored.dtype.rawValue)\(stored.shape)")
      if let tensor = stored.tensor {
        lines.append(TorchFormatter.repr(tensor))
      } else {
        let s = stored.summary
        lines.append("  (stored as a summary only: over the store limit) digest \(stored.digestHex), min \(s.min.map { "\($0)" } ?? "-"), max \(s.max.map { "\($0)" } ?? "-"), mean \(s.mean.map { "\($0)" } ?? "-"), \(s.nanCount) nan, \(s.infCount) inf")
      }
    }
    if !detail.timings.isEmpty {
      lines.append("timings:")
      let rows = [["  phase", "median", "min", "max", "n"]] + detail.timings.map { t in
        ["  " + t.phase, Formatting.duration(t.median), Formatting.duration(t.min), Formatting.duration(t.max), "\(t.samples.count)"]
      }
      lines.append(Formatting.table(rows))
    }
    if !detail.checks.isEmpty {
      lines.append("checks:")
      let rows = [["  check", "max_abs", "max_rel", "ok"]] + detail.checks.map { c in
        ["  " + c.name, Formatting.error(c.maxAbs), Formatting.error(c.maxRel), c.maxAbs.isNaN ? "non-finite" : (c.ok ? "yes" : "NO")]
      }
      lines.append(Formatting.table(rows))
    }
    return lines.joined(separator: "\n")
  }
}

/// Resolving RUN references to stored runs, with errors that name the reference and the database.
enum RunLookup {
  static func detail(_ reference: String, in store: any ExperimentStore) throws -> RunDetail {
    do {
      let id = try store.resolve(reference)
      guard let detail = try store.run(id: id) else { throw LabFailure("no run \(id) in \(store.path)") }
      return detail
    } catch let error as StoreError {
      throw LabFailure(error.message)
    }
  }
}
