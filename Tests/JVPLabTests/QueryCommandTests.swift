import Foundation
import JVPCore
import JVPLab
import JVPScript
import JVPStore
import Testing

/// `jvplab query` through `Query.run`, on a small recorded history.
@Suite struct QueryCommandTests {
  /// Six runs:
  ///
  /// | id | kind     | fn    | seed | numel.in | numel.out | status | tags               | name  |
  /// |----|----------|-------|------|----------|-----------|--------|--------------------|-------|
  /// | 1  | jvp      | <fn>  | 1    | 2        | 2         | ok     | lr=0.01 opt=adam   | alpha |
  /// | 2  | jvp      | <fn>  | 2    | 16       | 16        | ok     | lr=0.1             |       |
  /// | 3  | vjp      | <fn>  | 3    | 3        | 1         | ok     | opt=sgd            |       |
  /// | 4  | jacobian | g     | 42   | 5        | 5         | ok     |                    |       |
  /// | 5  | hessian  | <fn>  | 0    | 2        | 1         | ok     | (float64)          |       |
  /// | 6  | jvp      | <fn>  | 5    | 2        | 0         | failed |                    |       |
  func history() throws -> Lab {
    let lab = try Lab()
    func record(_ spec: FunctionSpec, dtype: DType = .float32, expect: ExitStatus = .success,
                _ change: (inout RunOptions) -> Void = { _ in }) {
      let (status, output) = lab.run(fn: spec, dtype: dtype, change)
      #expect(status == expect, "\(output.err)")
    }
    record(spec("x.exp()", [("x", "rand(2)")], kind: .jvp, seed: 1)) { options in
      options.tags = ["lr": "0.01", "opt": "adam"]
      options.name = "alpha"
    }
    record(spec("x.exp()", [("x", "rand(4, 4)")], kind: .jvp, seed: 2)) { $0.tags = ["lr": "0.1"] }
    record(spec("(x * x).sum()", [("x", "rand(3)")], kind: .vjp, seed: 3)) { $0.tags = ["opt": "sgd"] }
    record(spec("def g(x): return x.sin()", [("x", "rand(5)")], kind: .jacobian, seed: 42))
    record(spec("(x**3).sum()", [("x", "[1., 2.]")], kind: .hessian, seed: 0), dtype: .float64)
    record(spec("x + ones(3)", [("x", "rand(2)")], kind: .jvp, seed: 5), expect: .runFailed)
    return lab
  }

  @Test func everyFilterConstruct() throws {
    let lab = try history()
    let cases: [(String, [Int64])] = [
      ("", [6, 5, 4, 3, 2, 1]),
      ("kind = jvp", [6, 2, 1]),
      ("kind == 'jvp'", [6, 2, 1]),
      ("kind != jvp", [5, 4, 3]),
      ("seed < 3", [5, 2, 1]),
      ("seed >= 5", [6, 4]),
      ("seed <= 1", [5, 1]),
      ("seed > 41", [4]),
      ("fn ~ g", [4]),
      ("fn ~ '<*>'", [6, 5, 3, 2, 1]),
      ("dtype ~ 'float6?'", [5]),
      ("name ~ 'al*'", [1]),
      ("kind = jvp and seed > 1", [6, 2]),
      ("kind = vjp or kind = hessian", [5, 3]),
      ("not kind = jvp", [5, 4, 3]),
      ("kind = jvp AND NOT seed = 1", [6, 2]),
      ("(kind = jvp or kind = vjp) and not (seed = 1 or status = failed)", [3, 2]),
      ("kind = jvp or kind = vjp and seed = 3", [6, 3, 2, 1]),
      ("(kind = jvp or kind = vjp) and seed = 3", [3]),
      ("status = failed", [6]),
      ("time.jvp < 1s", [2, 1]),
      ("time.jvp < 1ns", []),
      ("time.vjp < 100000ms", [3]),
      ("check.fd < 1e-3", [5, 4, 2, 1]),
      ("check.fd > 1", []),
      ("check.dot < 1e-3", [3]),
      ("check.fd.ok = true", [5, 4, 2, 1]),
      ("tag.lr = 0.01", [1]),
      ("tag.lr < 0.05", [1]),
      ("tag.lr >= 0.05", [2]),
      ("tag.opt ~ 's*'", [3]),
      ("tag.opt != adam", [6, 5, 4, 3, 2]),
      ("tag.missing = x", []),
      ("numel.in = 16", [2]),
      ("numel.in > 2", [4, 3, 2]),
      ("numel.out = 1", [5, 3]),
      ("numel.out < 1", [6]),
      ("name = \"x'; DROP TABLE runs; --\"", []),
    ]
    for (filter, expected) in cases {
      #expect(try lab.ids(filter) == expected, "\(filter)")
    }
    #expect(try lab.runs().count == 6)
  }

  /// Durations compare in seconds, whatever unit the filter writes them in.
  @Test func durationUnits() throws {
    let lab = try Lab()
    let store = try RunStore.open(path: lab.database, mode: .readWrite)
    for (i, seconds) in [2e-9, 3e-6, 4e-3, 5.0].enumerated() {
      _ = try store.record(NewRun(
        info: RunInfo(kind: "jvp", seed: Int64(i), started: Date(timeIntervalSince1970: 1_800_000_000 + Double(i))),
        timings: [TimingSeries(phase: "jvp", samples: [seconds, seconds * 2, seconds / 2])]))
    }
    let cases: [(String, [Int64])] = [
      ("time.jvp < 1s", [3, 2, 1]),
      ("time.jvp >= 1s", [4]),
      ("time.jvp < 1ms", [2, 1]),
      ("time.jvp > 3999us", [4, 3]),
      ("time.jvp > 3999µs", [4, 3]),
      ("time.jvp <= 2ns", [1]),
      ("time.jvp = 0.004", [3]),
      ("time.jvp = 4ms", [3]),
      ("time.jvp > 1e-3 and time.jvp < 10", [4, 3]),
    ]
    for (filter, expected) in cases {
      #expect(try lab.ids(filter) == expected, "\(filter)")
    }
  }

  @Test func sortAndLimit() throws {
    let lab = try history()
    #expect(try lab.ids("", sort: "id") == [1, 2, 3, 4, 5, 6])
    #expect(try lab.ids("", sort: "-id") == [6, 5, 4, 3, 2, 1])
    #expect(try lab.ids("", sort: "numel.in,-id") == [6, 5, 1, 3, 4, 2])
    #expect(try lab.ids("", sort: "-numel.in, seed") == [2, 4, 3, 5, 1, 6])
    #expect(try lab.ids("", sort: "kind,seed") == [5, 4, 1, 2, 6, 3])
    // Runs without the key come last, either way.
    #expect(try lab.ids("", sort: "tag.lr") == [1, 2, 6, 5, 4, 3])
    #expect(try lab.ids("", sort: "-tag.lr") == [2, 1, 6, 5, 4, 3])
    #expect(try lab.ids("", limit: 2) == [6, 5])
    #expect(try lab.ids("", sort: "id", limit: 3) == [1, 2, 3])
    #expect(try lab.ids("kind = jvp", sort: "seed", limit: 1) == [1])
    #expect(try lab.ids("", limit: 0) == [])
  }

  @Test func injectionIsAUsageErrorAndChangesNothing() throws {
    let lab = try history()
    let filter = "kind = 'x'; DROP TABLE runs; --"
    let (status, output) = lab.query(filter)
    #expect(status == .usage)
    #expect(output.err == "filter:1:11: unexpected character ';'\n\(filter)\n          ^\n")
    #expect(output.out == "")
    #expect(try lab.runs().map(\.id) == [1, 2, 3, 4, 5, 6])
    #expect(try lab.detail(2).tensors.count == 4)
  }

  @Test(arguments: [
    ("seed < and kind = jvp", "filter:1:8: expected a value after '<', found 'and'\nseed < and kind = jvp\n       ^"),
    ("kind = jvp and", "filter:1:15: expected a comparison such as kind = jvp, found the end of the filter\nkind = jvp and\n              ^"),
    ("(kind = jvp", "filter:1:12: expected ')' to close the '(' at column 1, found the end of the filter\n(kind = jvp\n           ^"),
    ("seed = abc", "filter:1:8: expected a number for seed, found 'abc'\nseed = abc\n       ^"),
    ("time.jvp < 3 days", "filter:1:14: expected 'and', 'or' or the end of the filter, found 'days'\ntime.jvp < 3 days\n             ^"),
    ("time.jvp < 3h", "filter:1:12: expected a number for time.jvp, found '3h' (units: ns, us, ms, s)\ntime.jvp < 3h\n           ^"),
    ("seed ~ '4*'", "filter:1:8: '~' matches text, and seed is not text\nseed ~ '4*'\n       ^"),
  ])
  func badFilterPointsAtTheToken(filter: String, message: String) throws {
    let lab = try history()
    let (status, output) = lab.query(filter)
    #expect(status == .usage)
    #expect(output.err == message + "\n")
    #expect(output.out == "")
  }

  @Test func unknownFieldAndSortKey() throws {
    let lab = try history()
    let field = lab.query("colour = red")
    #expect(field.status == .usage)
    #expect(field.output.err.hasPrefix("filter:1:1: unknown field 'colour'; fields are id, uuid, name, kind,"))
    #expect(field.output.err.hasSuffix("\ncolour = red\n^\n"))
    let sort = lab.query("", sort: "id,-bogus")
    #expect(sort.status == .usage)
    #expect(sort.output.err.hasPrefix("sort:1:5: unknown field 'bogus'"))
    #expect(sort.output.err.hasSuffix("\nid,-bogus\n    ^\n"))
  }

  @Test func jsonIsAnArrayOfRunObjectsWithoutTensors() throws {
    let lab = try history()
    let (status, output) = lab.query("kind = jvp", format: .json)
    #expect(status == .success)
    let runs = try #require(try parseJSON(output.out) as? [[String: Any]])
    #expect(runs.map { $0["id"] as? Int } == [6, 2, 1])
    #expect(runs.allSatisfy { $0["tensors"] == nil })
    #expect(runs.map { $0["status"] as? String } == ["failed", "ok", "ok"])
    #expect(runs.map { $0["seed"] as? Int } == [5, 2, 1])
    #expect(runs[2]["name"] as? String == "alpha")
    #expect(runs[2]["tags"] as? [String: String] == ["lr": "0.01", "opt": "adam"])
    #expect(runs[1]["numel_in"] as? Int == 16)
    #expect((runs[1]["timings"] as? [String: [String: Any]])?["jvp"]?["n"] as? Int == 1)
    #expect((runs[1]["checks"] as? [String: [String: Any]])?["fd"]?["ok"] as? Bool == true)
    #expect(runs[0]["error"] as? String == "--fn:1:3: The size of tensor a (2) must match the size of tensor b (3) at non-singleton dimension 0")

    let none = lab.query("kind = nothing", format: .json)
    #expect(none.status == .success)
    #expect(try parseJSON(none.output.out) as? [Any] != nil)
    #expect((try parseJSON(none.output.out) as? [Any])?.isEmpty == true)
  }

  @Test func csvHasAHeaderAndOneRowPerRun() throws {
    let lab = try history()
    let (status, output) = lab.query("", sort: "id", format: .csv)
    #expect(status == .success)
    let lines = output.out.split(separator: "\n", omittingEmptySubsequences: false)
    #expect(lines.last == "")
    let rows = lines.dropLast().map { $0.split(separator: ",", omittingEmptySubsequences: false).map(String.init) }
    #expect(rows.count == 7)
    let header = rows[0]
    #expect(header == ["id", "name", "kind", "fn", "strategy", "vectorize", "dtype", "seed", "rng_offset", "status", "script",
                       "line", "parent", "started", "finished", "time_s", "numel_in", "numel_out"])
    #expect(rows.dropFirst().allSatisfy { $0.count == header.count })
    func column(_ name: String) -> [String] { rows.dropFirst().map { $0[header.firstIndex(of: name)!] } }
    #expect(column("id") == ["1", "2", "3", "4", "5", "6"])
    #expect(column("kind") == ["jvp", "jvp", "vjp", "jacobian", "hessian", "jvp"])
    #expect(column("fn") == ["<fn>", "<fn>", "<fn>", "g", "<fn>", "<fn>"])
    #expect(column("name") == ["alpha", "", "", "", "", ""])
    #expect(column("dtype") == ["float32", "float32", "float32", "float32", "float64", "float32"])
    #expect(column("status") == ["ok", "ok", "ok", "ok", "ok", "failed"])
    #expect(column("numel_in") == ["2", "16", "3", "5", "2", "2"])
    #expect(column("numel_out") == ["2", "16", "1", "5", "1", "0"])
  }

  @Test func tableHasAHeaderAndOneLinePerRun() throws {
    let lab = try history()
    let (status, output) = lab.query("kind = jvp")
    #expect(status == .success)
    let lines = output.out.split(separator: "\n").map(String.init)
    #expect(lines.count == 4)
    #expect(lines[0].split(separator: " ") == ["id", "kind", "fn", "name", "dtype", "status", "script", "time", "checks", "started"])
    #expect(lines.dropFirst().map { $0.split(separator: " ").first } == ["6", "2", "1"])
    #expect(lines[3].split(separator: " ").prefix(6) == ["1", "jvp", "<fn>", "alpha", "float32", "ok"])
    #expect(lines[1].contains(" failed "))
    #expect(lab.query("kind = nothing").output.out == "")
  }

  @Test func rawSQLIsReadOnly() throws {
    let lab = try history()
    let select = lab.query(format: .csv, sql: "SELECT kind, count(*) AS n FROM runs GROUP BY kind ORDER BY kind")
    #expect(select.status == .success)
    #expect(select.output.out == "kind,n\nhessian,1\njacobian,1\njvp,3\nvjp,1\n")
    let json = lab.query(format: .json, sql: "SELECT id, kind FROM runs WHERE id = 3")
    #expect(json.status == .success)
    #expect(try parseJSON(json.output.out) as? [[String: String]] == [["id": "3", "kind": "vjp"]])

    for statement in ["DELETE FROM runs", "DROP TABLE runs", "UPDATE runs SET kind = 'x'"] {
      let (status, output) = lab.query(sql: statement)
      #expect(status == .usage, "\(statement)")
      #expect(output.err == "jvplab: --sql runs read-only: this statement would change \(lab.database)\n", "\(statement)")
    }
    let bad = lab.query(sql: "SELEKT 1")
    #expect(bad.status == .usage)
    #expect(bad.output.err.hasPrefix("jvplab: --sql: near \"SELEKT\": syntax error"))
    #expect(try lab.runs().count == 6)
    #expect(try lab.ids("kind = x") == [])
  }

  @Test func missingDatabaseIsAUsageErrorAndCreatesNothing() throws {
    let lab = try Lab()
    let (status, output) = lab.query("kind = jvp")
    #expect(status == .usage)
    #expect(output.err == "jvplab: no jvplab database at \(lab.database) (jvplab run creates one)\n")
    #expect(!FileManager.default.fileExists(atPath: lab.database))
    #expect(try FileManager.default.contentsOfDirectory(atPath: lab.directory.path).isEmpty)
    let sql = lab.query(sql: "SELECT 1")
    #expect(sql.status == .usage)
    #expect(!FileManager.default.fileExists(atPath: lab.database))
  }
}
