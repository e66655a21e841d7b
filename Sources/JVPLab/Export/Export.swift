import Foundation
import JVPStore

/// `jvplab export RUN...`: runs' tensors as numpy files (`.npz`, or one `.npy` per tensor), or runs as CSV rows.
public enum Export {
  public enum Format: String, Sendable, CaseIterable {
    case npz, npy, csv
  }

  public struct Request: Sendable {
    public var references: [String]
    public var format = Format.npz
    /// The file or directory to write (see `docs/cli.md`); nil for the defaults, `-` for stdout (csv only).
    public var out: String?
    public var database: String

    public init(references: [String], database: String) {
      self.references = references
      self.database = database
    }
  }

  public static func run(_ request: Request, console: Console) -> ExitStatus {
    do {
      let store = try DatabaseLocation.open(request.database, mode: .readOnly, console: console)
      let details = try request.references.map { try RunLookup.detail($0, in: store) }
      if request.out == "-" && request.format != .csv {
        throw LabFailure("--out -: stdout takes csv only; give --format \(request.format.rawValue) a file or directory")
      }
      switch request.format {
      case .csv:
        let text = Query.render(details.map(\.summary), format: .csv, width: nil) + "\n"
        if let out = request.out, out != "-" {
          try write(Data(text.utf8), to: out)
          console.err("jvplab: wrote \(details.count) \(details.count == 1 ? "run" : "runs") to \(out)\n")
        } else {
          console.out(text)
        }
      case .npz:
        let archives = try details.map { ($0.id, try archive($0)) }
        let directory = archives.count == 1 ? nil : (request.out ?? ".")
        for (id, data) in archives {
          let path = directory.map { ($0 as NSString).appendingPathComponent("run-\(id).npz") } ?? request.out ?? "run-\(id).npz"
          if let directory { try makeDirectory(directory) }
          try write(data, to: path)
          console.err("jvplab: wrote run \(id) to \(path)\n")
        }
      case .npy:
        let files = try details.map { ($0.id, try arrays($0)) }
        for (id, arrays) in files {
          let directory = files.count == 1
            ? (request.out ?? "run-\(id)") : ((request.out ?? ".") as NSString).appendingPathComponent("run-\(id)")
          try makeDirectory(directory)
          for array in arrays { try write(array.npy, to: (directory as NSString).appendingPathComponent(array.name + ".npy")) }
          console.err("jvplab: wrote run \(id) to \(directory)/ (\(arrays.count) .npy \(arrays.count == 1 ? "file" : "files"))\n")
        }
      }
      return .success
    } catch {
      console.err("jvplab: \(error)\n")
      return .usage
    }
  }

  /// The `.npy` files of a run's tensors, named by role and index, in `show`'s order. The globals a run
  /// keeps for replay (`global_*`) are not arrays and are left out. Throws, naming them, when a tensor was
  /// stored as its digest and summary only.
  public static func arrays(_ detail: RunDetail) throws -> [(name: String, npy: Data)] {
    let tensors = detail.tensors.filter { !$0.role.hasPrefix("global_") }
    let summarized = tensors.filter(\.isSummarized)
    guard summarized.isEmpty else {
      let names = summarized.map { "\(NumpyArray.memberName($0)) (\($0.dtype.rawValue)\($0.shape))" }.joined(separator: ", ")
      throw LabFailure(
        "run \(detail.id): \(names) \(summarized.count == 1 ? "was" : "were") stored as digest and summary only "
          + "(over the run's --store-limit); there are no elements to export")
    }
    return tensors.compactMap { tensor in NumpyArray.file(tensor).map { (NumpyArray.memberName(tensor), $0) } }
  }

  /// A run's tensors as an `.npz` archive.
  public static func archive(_ detail: RunDetail) throws -> Data {
    try NumpyArchive.data(arrays(detail))
  }

  private static func makeDirectory(_ path: String) throws {
    do {
      try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    } catch {
      throw LabFailure("--out: cannot create the directory \(path): \(error.localizedDescription)")
    }
  }

  private static func write(_ data: Data, to path: String) throws {
    do {
      try data.write(to: URL(fileURLWithPath: path), options: .atomic)
    } catch {
      throw LabFailure("--out: cannot write \(path): \(error.localizedDescription)")
    }
  }
}
