import Foundation
import GRDB
import JVPCore
import JVPLab
import JVPScript
import JVPStore
import Testing

/// `jvplab tag`, `note`, `rm`, `restore` and `gc` (issue #19): round trips through the commands, and
/// gc leaving every remaining run exactly as `show` printed it before.
@Suite struct LifecycleCommandTests {
  /// Records `count` small jvp runs with different seeds and returns their ids.
  func record(_ lab: Lab, _ count: Int, size: Int = 4) throws -> [Int64] {
    for seed in 0..<count {
      let (status, output) = lab.run(fn: spec("x.exp().sum(dim=1)", [("x", "rand(\(size), \(size))")], kind: .jvp, seed: seed))
      try #require(status == .success, "\(output.err)")
    }
    return try lab.runs().suffix(count).map(\.id)
  }

  func show(_ lab: Lab, _ id: Int64, _ format: Show.Format = .text) -> (status: ExitStatus, output: Capture) {
    let output = Capture()
    return (Show.run(reference: "\(id)", database: lab.database, format: format, console: output.console), output)
  }

  @Test func tagSetsReplacesAndRemovesAcrossRuns() throws {
    let lab = try Lab()
    let ids = try record(lab, 3)
    let change = try Annotate.TagChange(["\(ids[0])", "latest", "lr=0.01", "opt=adam"])
    let output = Capture()
    #expect(Annotate.tag(change, database: lab.database, console: output.console) == .success)
    #expect(output.err == "jvplab: tagged 2 runs (\(ids[0]), \(ids[2])) with lr=0.01 opt=adam\n")
    #expect(try lab.ids("tag.lr < 0.1") == [ids[2], ids[0]])
    #expect(Annotate.tag(try Annotate.TagChange(["\(ids[0])", "-opt", "lr=0.5"]), database: lab.database, console: Capture().console) == .success)
    #expect(try lab.detail(ids[0]).tags == ["lr": "0.5"])
    #expect(try lab.detail(ids[2]).tags == ["lr": "0.01", "opt": "adam"])
  }

  @Test(arguments: [
    (["4"], "tag needs at least one KEY=VALUE to set or -KEY to remove"),
    (["lr=1"], "tag needs at least one RUN (an id, latest, or latest~N)"),
    (["4", "=1"], "tag '=1': expected KEY=VALUE with a key that does not start with '-'"),
    (["4", "lr=1", "-lr"], "tag 'lr' is both set and removed: give one of lr=VALUE and -lr"),
  ])
  func tagRefusesArgumentsThatChangeNothingOrContradict(_ arguments: [String], _ message: String) {
    #expect(throws: LabFailure.self) { try Annotate.TagChange(arguments) }
    #expect((try? Annotate.TagChange(arguments)) == nil)
    do { _ = try Annotate.TagChange(arguments) } catch { #expect(error.message == message) }
  }

  @Test func aNoteShowsInTextAndJSONAndClears() throws {
    let lab = try Lab()
    let id = try record(lab, 1)[0]
    #expect(Annotate.note("latest", text: "baseline: before the fused kernel", database: lab.database, console: Capture().console) == .success)
    let text = show(lab, id).output.out
    #expect(text.contains("\nnote:\n    baseline: before the fused kernel\n"))
    let json = try #require(try parseJSON(show(lab, id, .json).output.out) as? [String: Any])
    #expect(json["note"] as? String == "baseline: before the fused kernel")
    #expect(Annotate.note("\(id)", text: "", database: lab.database, console: Capture().console) == .success)
    #expect(!show(lab, id).output.out.contains("note:"))
  }

  @Test func rmHidesRunsFromQueryAndRestoreBringsThemBack() throws {
    let lab = try Lab()
    let ids = try record(lab, 4)
    let before = show(lab, ids[1]).output.out
    let output = Capture()
    #expect(Remove.remove(.runs(["\(ids[1])", "\(ids[3])"]), database: lab.database, console: output.console) == .success)
    #expect(output.err.hasPrefix("jvplab: removed 2 runs (\(ids[1]), \(ids[3])) from \(lab.database)"))
    #expect(try lab.ids("") == [ids[2], ids[0]])
    var request = Query.Request(database: lab.database)
    request.deleted = true
    request.format = .csv
    let trash = Capture()
    #expect(Query.run(request, console: trash.console) == .success)
    #expect(trash.out.split(separator: "\n").dropFirst().map { $0.prefix { $0 != "," } } == ["\(ids[3])", "\(ids[1])"])
    // Still shown by id, saying it was removed.
    #expect(show(lab, ids[1]).output.out.contains("deleted"))
    #expect(Remove.restore(.filter("seed = 1"), database: lab.database, console: Capture().console) == .success)
    #expect(try lab.ids("") == [ids[2], ids[1], ids[0]])
    #expect(show(lab, ids[1]).output.out == before)
  }

  @Test func rmOfAnUnknownRunRemovesNothingAndExits2() throws {
    let lab = try Lab()
    let ids = try record(lab, 2)
    let output = Capture()
    #expect(Remove.remove(.runs(["\(ids[0])", "99"]), database: lab.database, console: output.console) == .usage)
    #expect(output.err == "jvplab: no run 99 in \(lab.database)\n")
    #expect(try lab.ids("") == [ids[1], ids[0]])
    let filter = Capture()
    #expect(Remove.remove(.filter("seed >"), database: lab.database, console: filter.console) == .usage)
    #expect(filter.err.hasPrefix("jvplab: filter:1:7: "))
    #expect(try lab.ids("") == [ids[1], ids[0]])
  }

  @Test func gcLeavesEveryRemainingRunAsShowPrintedItAndTheFileIntact() throws {
    let lab = try Lab()
    // 160x160 float32 inputs are 100 KiB: shared tensor data, held by runs with equal seeds.
    var ids = try record(lab, 3, size: 160)
    ids += try record(lab, 2, size: 160)
    let keep = [ids[0], ids[2], ids[4]]
    let shown = keep.map { show(lab, $0).output.out }
    let json = keep.map { show(lab, $0, .json).output.out }
    #expect(Remove.remove(.runs(["\(ids[1])", "\(ids[3])"]), database: lab.database, console: Capture().console) == .success)
    let output = Capture()
    #expect(GarbageCollection.run(olderThan: nil, database: lab.database, console: output.console) == .success)
    #expect(output.err.hasPrefix("jvplab: gc deleted 2 runs"), "\(output.err)")
    #expect(keep.map { show(lab, $0).output.out } == shown)
    #expect(keep.map { show(lab, $0, .json).output.out } == json)
    #expect(show(lab, ids[1]).status == .usage)
    let check = try DatabaseQueue(path: lab.database).read { db in
      (try String.fetchAll(db, sql: "PRAGMA integrity_check"), try Row.fetchAll(db, sql: "PRAGMA foreign_key_check").count)
    }
    #expect(check.0 == ["ok"])
    #expect(check.1 == 0)
  }

  @Test func gcOlderThanLeavesRecentlyRemovedRuns() throws {
    let lab = try Lab()
    let ids = try record(lab, 2)
    #expect(Remove.remove(.runs(["\(ids[0])"]), database: lab.database, console: Capture().console) == .success)
    let output = Capture()
    #expect(GarbageCollection.run(olderThan: GarbageCollection.seconds("30d"), database: lab.database, console: output.console) == .success)
    #expect(output.err.hasPrefix("jvplab: gc deleted 0 runs"))
    #expect(Remove.restore(.runs(["\(ids[0])"]), database: lab.database, console: Capture().console) == .success)
  }

  @Test(arguments: [("30d", 2_592_000.0), ("12h", 43_200), ("90m", 5400), ("45s", 45), ("2w", 1_209_600), ("1.5", 129_600)])
  func gcReadsDurations(_ text: String, _ seconds: Double) {
    #expect(GarbageCollection.seconds(text) == seconds)
  }

  @Test(arguments: ["", "d", "-1d", "30x", "1e3d", "inf"])
  func gcRefusesMalformedDurations(_ text: String) {
    #expect(GarbageCollection.seconds(text) == nil)
  }

  @Test func rmOfAReplaysParentSaysTheReplayStaysLinkedAndGcKeepsIt() throws {
    let lab = try Lab()
    let original = try record(lab, 1)[0]
    _ = Replay.run(reference: "\(original)", database: lab.database, repeats: 1, tolerance: Diff.Tolerance(rtol: 1e-5, atol: 1e-8),
                   format: .text, commandLine: nil, console: Capture().console)
    let replay = try #require(try lab.runs().last?.id)
    let output = Capture()
    #expect(Remove.remove(.runs(["\(original)"]), database: lab.database, console: output.console) == .success)
    #expect(output.err.contains("run \(original) is the parent of replay run \(replay), which stays linked"))
    let gc = Capture()
    #expect(GarbageCollection.run(olderThan: nil, database: lab.database, console: gc.console) == .success)
    #expect(gc.err.contains("kept run \(original): replay run \(replay) stays and links to it"))
    #expect(try lab.detail(replay).info.parent == original)
  }
}
