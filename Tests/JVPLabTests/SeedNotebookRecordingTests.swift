import Foundation
import JVPLab
import JVPStore
import Testing

/// `jvplab run examples/seed_notebook.py` records exactly the notebook's 13 autodiff calls, each with
/// seed 42, its generator offset, and tensors bit-identical to what the transcript printed.
@Suite struct SeedNotebookRecordingTests {
  @Test func recordsThirteenRunsWithExactTensors() throws {
    let directory = FileManager.default.temporaryDirectory.appendingPathComponent("jvplab-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: directory) }
    let script = Examples.url("seed_notebook")
    let database = directory.appendingPathComponent("jvplab.db").path
    let output = Capture()
    let status = ScriptRun.run(path: script.path, options: RunOptions(database: database), console: output.console)
    #expect(status == .success)

    let store = try RunStore.open(path: database, mode: .readOnly)
    let runs = try store.runs(matching: RunQuery(sort: "id"))
    #expect(runs.map(\.info.kind) == ["jvp", "jacobian", "jvp", "jacobian", "jacobian", "jvp"] + Array(repeating: "jacobian", count: 7))
    #expect(runs.allSatisfy { $0.info.seed == 42 && $0.info.status == .ok })
    #expect(runs.map(\.info.rngOffset) == [0, 0, 2, 2, 4, 6, 6, 6, 6, 6, 6, 6, 6])
    #expect(runs.map(\.info.line) == [10, 14, 23, 25, 27, 33, 35, 41, 43, 44, 45, 46, 48])

    let first = try #require(try store.run(id: runs[0].id))
    let input = try #require(first.tensors.first { $0.role == "input" })
    #expect(input.elements == .float32([Float(bitPattern: 0x3F61_DC66), Float(bitPattern: 0x3F6A_3DB3)]))
    let tangent = try #require(first.tensors.first { $0.role == "tangent" })
    #expect(tangent.elements == .float32([1, 2]))
    let jvp = try #require(first.tensors.first { $0.role == "jvp" })
    #expect(jvp.elements == .float32([2, 4]))
    #expect(first.timings.map(\.phase).contains("jvp"))
    #expect(first.checks.first?.name == "fd")
    #expect(first.checks.first?.ok == true)
  }
}

/// Collects what a command writes, for in-process tests.
final class Capture: @unchecked Sendable {
  private let lock = NSLock()
  private var outText = ""
  private var errText = ""

  var out: String { lock.withLock { outText } }
  var err: String { lock.withLock { errText } }

  var console: Console {
    Console(out: { text in self.lock.withLock { self.outText += text } },
            err: { text in self.lock.withLock { self.errText += text } })
  }
}
