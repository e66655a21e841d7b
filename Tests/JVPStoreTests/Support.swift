import Foundation
import GRDB
import Testing

@testable import JVPStore

/// A fresh directory for one test's database files, removed when the test's body returns.
func withTemporaryDirectory<T>(_ body: (URL) throws -> T) throws -> T {
  let directory = FileManager.default.temporaryDirectory
    .appendingPathComponent("jvplab-store-tests-\(UUID().uuidString)", isDirectory: true)
  try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
  defer { try? FileManager.default.removeItem(at: directory) }
  return try body(directory)
}

/// `body` with the path of a database file (not yet created) in a fresh directory.
func withDatabasePath<T>(_ body: (String) throws -> T) throws -> T {
  try withTemporaryDirectory { try body($0.appendingPathComponent("jvplab.db").path) }
}

/// A small plausible run: a 2x2 input, a tangent, an output and its jvp, one timing and one check.
func sampleRun(
  kind: String = "jvp", started: Date = Date(timeIntervalSince1970: 1_795_000_000.125),
  tags: [String: String] = ["model": "small"]
) throws -> NewRun {
  NewRun(
    info: RunInfo(
      name: "sample", kind: kind, function: "exp_reducer", source: "def exp_reducer(x): return x.exp().sum(dim=1)",
      strategy: "reverse-mode", dtype: "float32", seed: 42, rngOffset: 6, script: "seed_notebook.py", line: 31,
      started: started, finished: started.addingTimeInterval(0.25), host: "test-host", os: "Linux",
      jvplabVersion: "0.1.0", commandLine: "jvplab run seed_notebook.py"),
    tensors: [
      try StoredTensor(role: "input", index: [0], name: "x", shape: [2, 2], elements: .float32([0.25, -0.0, 1e-30, 3])),
      try StoredTensor(role: "tangent", index: [0], shape: [2, 2], elements: .float32([1, 1, 1, 1])),
      try StoredTensor(role: "output", index: [0], shape: [2], elements: .float32([2.5, 21.1])),
      try StoredTensor(role: "jvp", index: [0], shape: [2], elements: .float32([2.5, 21.1])),
    ],
    timings: [TimingSeries(phase: "jvp", samples: [3e-6, 1e-6, 2e-6])],
    checks: [CheckResult(name: "fd", maxAbs: 1e-7, maxRel: 2e-7, ok: true)],
    tags: tags)
}

/// A direct GRDB connection to a store's file, for building old, foreign or tampered databases.
func rawDatabase(_ path: String) throws -> DatabaseQueue {
  try DatabaseQueue(path: path)
}

/// Whether `text` is a random (version 4, RFC 9562 variant) UUID as the store writes it: 36 lowercase characters.
func isVersion4UUID(_ text: String?) -> Bool {
  guard let text else { return false }
  let groups = text.split(separator: "-", omittingEmptySubsequences: false)
  return groups.map(\.count) == [8, 4, 4, 4, 12] && text.allSatisfy { $0 == "-" || ("0"..."9").contains($0) || ("a"..."f").contains($0) }
    && groups[2].first == "4" && "89ab".contains(groups[3].first!)
}

extension RunInfo {
  /// The metadata with no UUID, to compare runs that only their random UUIDs tell apart.
  var withoutUUID: RunInfo {
    var info = self
    info.uuid = nil
    return info
  }
}

extension RunDetail {
  /// The run with no UUID, to compare runs that only their random UUIDs tell apart.
  var withoutUUID: RunDetail {
    var detail = self
    detail.summary.info.uuid = nil
    return detail
  }
}
