import Foundation
import GRDB

#if canImport(Glibc)
  import Glibc
#elseif canImport(Darwin)
  import Darwin
#endif

/// Runs waiting beside a database for it to be writable: one file per run, `DB-pending-ID.json`.
///
/// A run that could not be recorded because another process held the database's write lock for
/// too long is saved here, whole, instead of being lost; the next command that opens the database
/// merges every pending file (`RunStore.mergePending()`). Each file is written to a temporary name,
/// fsync'd and renamed, so a file under its final name is always complete. The id in its name and
/// contents is recorded in `merged_pending` by the merge, so no file is ever merged twice.
public struct PendingRuns: Sendable {
  /// What a pending file holds.
  struct Entry: Codable {
    /// A random id, also in the file's name.
    var id: String
    var run: NewRun
  }

  /// The database the runs belong to, as the caller named it.
  public let databasePath: String
  /// The database's directory as its path spells it: empty for a bare file name.
  private let directory: String
  private let prefix: String

  public init(databasePath: String) {
    self.databasePath = databasePath
    directory = (databasePath as NSString).deletingLastPathComponent
    prefix = (databasePath as NSString).lastPathComponent + "-pending-"
  }

  /// The paths of the complete pending files, in name order.
  public func paths() -> [String] {
    let names = (try? FileManager.default.contentsOfDirectory(atPath: directory.isEmpty ? "." : directory)) ?? []
    return names.filter { $0.hasPrefix(prefix) && $0.hasSuffix(".json") }.sorted().map(path(of:))
  }

  private func path(of name: String) -> String {
    directory.isEmpty ? name : (directory as NSString).appendingPathComponent(name)
  }

  /// Writes `run` to a new pending file, durably, and returns its path.
  func save(_ run: NewRun) throws(StoreError) -> String {
    let id = UUID().uuidString.lowercased()
    let final = path(of: prefix + id + ".json")
    let temporary = final + ".tmp"
    do {
      let bytes = try Self.encoder.encode(Entry(id: id, run: run))
      try Self.writeDurably(bytes, to: temporary)
      guard rename(temporary, final) == 0 else { throw POSIXError(errno) }
      try Self.sync(directory: directory.isEmpty ? "." : directory)
      return final
    } catch {
      unlink(temporary)
      let reason = (error as? POSIXError).map { String(cString: strerror($0.code.rawValue)) } ?? "\(error)"
      throw StoreError(.inaccessible, "cannot save the run in a pending file beside \(databasePath): \(reason)")
    }
  }

  /// The entry in the file at `path`; nil when it has gone (another command merged it meanwhile).
  func load(_ path: String) throws(StoreError) -> Entry? {
    guard let bytes = FileManager.default.contents(atPath: path) else { return nil }
    do {
      return try Self.decoder.decode(Entry.self, from: bytes)
    } catch {
      throw StoreError(.damaged, "pending run \(path) is damaged: \(error)")
    }
  }

  private static let floats = (positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")

  private static var encoder: JSONEncoder {
    let encoder = JSONEncoder()
    encoder.nonConformingFloatEncodingStrategy = .convertToString(
      positiveInfinity: floats.positiveInfinity, negativeInfinity: floats.negativeInfinity, nan: floats.nan)
    return encoder
  }

  private static var decoder: JSONDecoder {
    let decoder = JSONDecoder()
    decoder.nonConformingFloatDecodingStrategy = .convertFromString(
      positiveInfinity: floats.positiveInfinity, negativeInfinity: floats.negativeInfinity, nan: floats.nan)
    return decoder
  }

  private static func writeDurably(_ bytes: Data, to path: String) throws {
    let descriptor = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o644)
    guard descriptor >= 0 else { throw POSIXError(errno) }
    defer { close(descriptor) }
    var offset = 0
    while offset < bytes.count {
      let written = bytes.withUnsafeBytes { write(descriptor, $0.baseAddress! + offset, bytes.count - offset) }
      if written < 0 {
        if errno == EINTR { continue }
        throw POSIXError(errno)
      }
      offset += written
    }
    guard fsync(descriptor) == 0 else { throw POSIXError(errno) }
  }

  /// Makes a rename in `directory` survive a power cut.
  private static func sync(directory: String) throws {
    let descriptor = open(directory, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
    guard descriptor >= 0 else { throw POSIXError(errno) }
    defer { close(descriptor) }
    guard fsync(descriptor) == 0 else { throw POSIXError(errno) }
  }
}

extension POSIXError {
  init(_ code: Int32) { self.init(POSIXErrorCode(rawValue: code) ?? .EIO) }
}

/// What one merge of pending files did.
public struct PendingMerge: Sendable, Equatable {
  /// Ids of the runs the merge recorded, oldest run first.
  public var merged: [Int64] = []
  /// Files that could not be read, with why; they are left in place.
  public var unreadable: [String] = []
}

extension RunStore {
  /// Saves `run` in a pending file beside the database (for when the database stays locked) and
  /// returns the file's path. Tensors over `options.maxStoredElements` keep only their summary, as
  /// `record` would store them.
  public func savePending(_ run: NewRun) throws(StoreError) -> String {
    var run = run
    run.tensors = run.tensors.map { tensor in
      tensor.elementCount <= options.maxStoredElements ? tensor : tensor.summarized
    }
    return try PendingRuns(databasePath: path).save(run)
  }

  /// Records every pending file's run in one transaction, then deletes the files.
  ///
  /// A file whose id `merged_pending` already holds (a racing command merged it first, or one was
  /// killed before deleting it) is only deleted. Unreadable files are reported and left in place.
  public func mergePending() throws(StoreError) -> PendingMerge {
    let pending = PendingRuns(databasePath: path)
    let paths = pending.paths()
    var result = PendingMerge()
    guard !paths.isEmpty else { return result }
    guard let writer else { throw StoreError(.readOnly, "\(path) was opened read-only: cannot merge pending runs") }
    var entries: [(path: String, entry: PendingRuns.Entry)] = []
    for file in paths {
      do throws(StoreError) {
        if let entry = try pending.load(file) { entries.append((file, entry)) }
      } catch {
        result.unreadable.append(error.message)
      }
    }
    entries.sort { $0.entry.run.info.started < $1.entry.run.info.started }
    result.merged = try guarded {
      try writer.writeWithoutTransaction { db in
        try RunWriter.inImmediateTransaction(db) {
          var ids: [Int64] = []
          for (_, entry) in entries {
            let merged = try Bool.fetchOne(
              db, sql: "SELECT 1 FROM merged_pending WHERE pending_id = ?", arguments: [entry.id]) ?? false
            if merged { continue }
            let id = try RunWriter.insert(entry.run, limit: options.maxStoredElements, into: db)
            try db.execute(sql: "INSERT INTO merged_pending (pending_id, run_id) VALUES (?, ?)", arguments: [entry.id, id])
            ids.append(id)
          }
          return ids
        }
      }
    }
    for (file, _) in entries { unlink(file) }
    return result
  }
}

extension StoredTensor {
  /// This tensor without its data: shape, digest and summary only.
  var summarized: StoredTensor {
    StoredTensor(role: role, index: index, name: name, dtype: dtype, shape: shape, data: nil, digest: digest, summary: summary)
  }
}
