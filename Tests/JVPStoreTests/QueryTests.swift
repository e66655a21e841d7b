import Foundation
import Testing

@testable import JVPStore

/// The filter language, sort keys and limits, against four runs:
///
/// | id | name   | kind    | fn          | strategy     | dtype   | seed | status | script | started    | time.*      | check.fd            | tags                  | numel in/out |
/// | 1  | first  | jvp     | exp_reducer | reverse-mode | float32 | 42   | ok     | a.py   | 2026-11-27 | jvp 2 us    | 1e-7, ok            | model=small, lr=0.01  | 16 / 4       |
/// | 2  | second | vjp     | exp_reducer | forward-mode | float64 | 7    | ok     | b.py   | 2026-11-28 | vjp 5 ms    | 0.5 (rel 1), not ok | model=big, lr=1e-3    | 100 / 1      |
/// | 3  | -      | jvp     | sin_sum     | auto         | float32 | -    | failed | a.py   | 2026-11-29 | jvp 4 ms    | -                   | -                     | 0 / 0        |
/// | 4  | x'; DROP TABLE runs; -- | hessian | f | auto  | float64 | 0    | ok     | -      | 2026-11-30 | -           | NaN, not ok         | model=small           | 3 / 1        |
@Suite struct QueryTests {
  private static func day(_ text: String) -> Date {
    Timestamp.date(text) ?? Date(timeIntervalSince1970: 0)
  }

  private static func tensor(_ role: String, _ count: Int) throws -> StoredTensor {
    try StoredTensor(role: role, index: [0], shape: [count], elements: .float32(Array(repeating: 1, count: count)))
  }

  static let runs: [NewRun] = {
    do {
      return [
        NewRun(
          info: RunInfo(
            name: "first", kind: "jvp", function: "exp_reducer", strategy: "reverse-mode", dtype: "float32", seed: 42,
            script: "a.py", started: day("2026-11-27T10:00:00Z")),
          tensors: [try tensor("input", 16), try tensor("tangent", 16), try tensor("output", 4), try tensor("jvp", 4)],
          timings: [TimingSeries(phase: "jvp", samples: [1e-6, 2e-6, 3e-6])],
          checks: [CheckResult(name: "fd", maxAbs: 1e-7, maxRel: 1e-6, ok: true)],
          tags: ["model": "small", "lr": "0.01"]),
        NewRun(
          info: RunInfo(
            name: "second", kind: "vjp", function: "exp_reducer", strategy: "forward-mode", dtype: "float64", seed: 7,
            script: "b.py", started: day("2026-11-28T10:00:00Z")),
          tensors: [try tensor("input", 60), try tensor("input", 40), try tensor("output", 1)],
          timings: [TimingSeries(phase: "vjp", samples: [5e-3])],
          checks: [CheckResult(name: "fd", maxAbs: 0.5, maxRel: 1, ok: false)],
          tags: ["model": "big", "lr": "1e-3"]),
        NewRun(
          info: RunInfo(
            kind: "jvp", function: "sin_sum", strategy: "auto", dtype: "float32", status: .failed, error: "boom",
            script: "a.py", started: day("2026-11-29T10:00:00Z")),
          timings: [TimingSeries(phase: "jvp", samples: [4e-3, 4e-3])]),
        NewRun(
          info: RunInfo(
            name: "x'; DROP TABLE runs; --", kind: "hessian", function: "f", strategy: "auto", vectorize: true,
            dtype: "float64", seed: 0, started: day("2026-11-30T10:00:00Z")),
          tensors: [try tensor("input", 3), try tensor("output", 1), try tensor("hessian", 9)],
          checks: [CheckResult(name: "fd", maxAbs: .nan, maxRel: .nan, ok: false)],
          tags: ["model": "small"]),
      ]
    } catch {
      Issue.record(error)
      return []
    }
  }()

  /// The ids `filter`, `sort` and `limit` select from the four runs, in order.
  private func ids(_ filter: String, sort: String? = nil, limit: Int? = nil) throws -> [Int64] {
    try withDatabasePath { path in
      let store = try RunStore.open(path: path, mode: .readWrite)
      for run in Self.runs { _ = try store.record(run) }
      return try store.runs(matching: RunQuery(filter: filter, sort: sort, limit: limit)).map(\.id)
    }
  }

  @Test(arguments: [
    ("", [4, 3, 2, 1]),
    ("kind = jvp", [3, 1]),
    ("kind = 'jvp'", [3, 1]),
    ("kind = \"jvp\"", [3, 1]),
    ("kind == jvp", [3, 1]),
    ("kind != jvp", [4, 2]),
    ("id >= 3", [4, 3]),
    ("name != first", [4, 3, 2]),
    ("name = 'x\\'; DROP TABLE runs; --'", [4]),
    ("strategy = reverse-mode", [1]),
    ("dtype = float64", [4, 2]),
    ("seed = 42", [1]),
    ("seed < 10", [4, 2]),
    ("seed >= 0", [4, 2, 1]),
    ("status = failed", [3]),
    ("script = a.py", [3, 1]),
    ("script = 'b.py'", [2]),
    ("fn = exp_reducer", [2, 1]),
    ("vectorize = true", [4]),
    ("vectorize = no", [3, 2, 1]),
    ("error ~ 'bo*'", [3]),
  ] as [(String, [Int64])])
  func comparesFields(filter: String, expected: [Int64]) throws {
    #expect(try ids(filter) == expected)
  }

  @Test(arguments: [
    ("kind = jvp and seed = 42", [1]),
    ("kind = jvp AND seed = 42", [1]),
    ("kind = vjp or seed = 42", [2, 1]),
    ("not kind = jvp", [4, 2]),
    ("NOT seed > 10", [4, 3, 2]),
    ("not not kind = jvp", [3, 1]),
    ("(kind = jvp or kind = vjp) and dtype = float64", [2]),
    ("kind = jvp or kind = vjp and dtype = float64", [3, 2, 1]),
    ("not (kind = jvp or kind = vjp)", [4]),
    ("((kind = jvp))", [3, 1]),
    ("kind = jvp and not (seed = 42 or status = failed)", []),
    ("\n  kind = jvp\n  and script = a.py ", [3, 1]),
  ] as [(String, [Int64])])
  func combinesComparisons(filter: String, expected: [Int64]) throws {
    #expect(try ids(filter) == expected)
  }

  @Test(arguments: [
    ("fn ~ 'exp*'", [2, 1]),
    ("fn ~ exp*", [2, 1]),
    ("fn ~ '*_*'", [3, 2, 1]),
    ("name ~ '?????'", [1]),
    ("script ~ [ab].py", [3, 2, 1]),
    ("fn ~ EXP*", []),
    ("started ~ '2026-11-2*'", [3, 2, 1]),
    ("tag.model ~ 's*'", [4, 1]),
  ] as [(String, [Int64])])
  func matchesGlobs(filter: String, expected: [Int64]) throws {
    #expect(try ids(filter) == expected)
  }

  @Test(arguments: [
    ("time.jvp < 1ms", [1]),
    ("time.jvp < 0.001", [1]),
    ("time.jvp <= 2us", [1]),
    ("time.jvp <= 2000ns", [1]),
    ("time.jvp < 1999ns", []),
    ("time.jvp > 1ms", [3]),
    ("time.jvp >= 4ms", [3]),
    ("time.jvp = 4000us", [3]),
    ("time.jvp < 1s", [3, 1]),
    ("time.vjp > 1ms", [2]),
    ("time.vjp > 1ms or time.jvp > 1ms", [3, 2]),
    ("time.jvp != 4ms", [4, 2, 1]),
    ("not time.jvp < 1ms", [4, 3, 2]),
    ("time.nothing < 1s", []),
    ("time.jvp < 5e-3s", [3, 1]),
  ] as [(String, [Int64])])
  func comparesTimingMedians(filter: String, expected: [Int64]) throws {
    #expect(try ids(filter) == expected)
  }

  @Test(arguments: [
    ("check.fd < 1e-3", [1]),
    ("check.fd > 0.1", [2]),
    ("check.fd.rel >= 1", [2]),
    ("check.fd.ok = true", [1]),
    ("check.fd.ok = false", [4, 2]),
    ("check.fd.ok != true", [4, 3, 2]),
    ("check.other < 1", []),
    ("tag.model = small", [4, 1]),
    ("tag.model = 'big'", [2]),
    ("tag.model != big", [4, 3, 1]),
    ("tag.lr < 0.005", [2]),
    ("tag.lr >= 0.005", [1]),
    ("tag.lr > '0.005'", [2, 1]),
    ("tag.missing = x", []),
    ("numel.in > 50", [2]),
    ("numel.in = 16", [1]),
    ("numel.out = 1", [4, 2]),
    ("numel.out < 1", [3]),
  ] as [(String, [Int64])])
  func comparesChecksTagsAndSizes(filter: String, expected: [Int64]) throws {
    #expect(try ids(filter) == expected)
  }

  @Test(arguments: [
    ("started >= 2026-11-29", [4, 3]),
    ("started < '2026-11-28T10:00:00Z'", [1]),
    ("started <= 2026-11-28T10:00", [2, 1]),
    ("started <= '2026-11-28 10:00:00.000'", [2, 1]),
    ("started < 2026-11-28T11:00:00+01:00", [1]),
    ("started > 2026-11-28T10:00:00.001Z", [4, 3]),
  ] as [(String, [Int64])])
  func comparesTimes(filter: String, expected: [Int64]) throws {
    #expect(try ids(filter) == expected)
  }

  @Test(arguments: [
    ("seed", [4, 2, 1, 3]),
    ("-seed", [1, 2, 4, 3]),
    ("+seed", [4, 2, 1, 3]),
    ("kind, -id", [4, 3, 1, 2]),
    (" kind ,id ", [4, 1, 3, 2]),
    ("-time.jvp", [3, 1, 4, 2]),
    ("time.jvp", [1, 3, 4, 2]),
    ("tag.model", [2, 4, 1, 3]),
    ("-check.fd", [2, 1, 4, 3]),
    ("numel.in,started", [3, 4, 1, 2]),
    ("id", [1, 2, 3, 4]),
    ("-started", [4, 3, 2, 1]),
  ] as [(String, [Int64])])
  func sortsByKeys(sort: String, expected: [Int64]) throws {
    #expect(try ids("", sort: sort) == expected)
  }

  @Test func limitsTheCount() throws {
    #expect(try ids("", limit: 2) == [4, 3])
    #expect(try ids("kind = jvp", sort: "id", limit: 1) == [1])
    #expect(try ids("", limit: 0) == [])
    let error = #expect(throws: QueryError.self) { try RunQuery(filter: "", limit: -1) }
    #expect(error?.part == .limit)
    #expect(error?.render(filter: "") == "--limit: expected a count of runs, 0 or more, found -1")
  }

  @Test func summariesCarryTagsTimingsAndChecks() throws {
    try withDatabasePath { path in
      let store = try RunStore.open(path: path, mode: .readWrite)
      for run in Self.runs { _ = try store.record(run) }
      let summaries = try store.runs(matching: RunQuery(filter: "id <= 2", sort: "id"))
      // The store gave each run a UUID; the rest is as recorded.
      #expect(summaries.allSatisfy { isVersion4UUID($0.info.uuid) })
      #expect(summaries.map(\.info.withoutUUID) == Self.runs.prefix(2).map(\.info))
      #expect(summaries.map(\.tags) == Self.runs.prefix(2).map(\.tags))
      #expect(summaries.map(\.timings) == Self.runs.prefix(2).map(\.timings))
      #expect(summaries.map(\.checks) == Self.runs.prefix(2).map(\.checks))
      #expect(summaries.map(\.inputElements) == [16, 100])
      #expect(summaries.map(\.outputElements) == [4, 1])
    }
  }

  @Test(arguments: [
    ("seed <", 6, "expected a value after '<', found the end of the filter"),
    ("seed < and kind = jvp", 7, "expected a value after '<', found 'and'"),
    ("bogus = 1", 0, "unknown field 'bogus'; fields are \(QueryField.names)"),
    ("time. < 1", 0, "unknown field 'time.'; fields are \(QueryField.names)"),
    ("kind jvp", 5, "expected an operator (= != < <= > >= ~) after 'kind', found 'jvp'"),
    ("kind = jvp seed = 1", 11, "expected 'and', 'or' or the end of the filter, found 'seed'"),
    ("kind = jvp)", 10, "no '(' to close, found ')'"),
    ("(kind = jvp", 11, "expected ')' to close the '(' at column 1, found the end of the filter"),
    ("()", 1, "expected a comparison such as kind = jvp, found ')'"),
    ("not", 3, "expected a comparison such as kind = jvp, found the end of the filter"),
    ("kind = jvp and", 14, "expected a comparison such as kind = jvp, found the end of the filter"),
    ("kind = jvp and or seed = 1", 15, "expected a comparison such as kind = jvp, found 'or'"),
    ("= jvp", 0, "expected a comparison such as kind = jvp, found '='"),
    ("'kind' = jvp", 0, "expected a comparison such as kind = jvp, found the string 'kind'"),
    ("name = 'abc", 7, "unterminated string: missing closing '"),
    ("kind ! jvp", 5, "expected '!=': use 'not' to negate a comparison"),
    ("kind = jvp; seed = 1", 10, "unexpected character ';'"),
    ("time.jvp < 5min", 11, "expected a number for time.jvp, found '5min' (units: ns, us, ms, s)"),
    ("time.jvp < fast", 11, "expected a number for time.jvp, found 'fast'"),
    ("seed = 5ms", 7, "seed is not a duration: remove the unit 'ms'"),
    ("seed = 'x'", 7, "expected a number for seed, found the string 'x'"),
    ("seed ~ 4*", 7, "'~' matches text, and seed is not text"),
    ("check.fd.ok < 1", 14, "check.fd.ok is true or false: compare it with = or !="),
    ("check.fd.ok = maybe", 14, "expected true or false for check.fd.ok, found 'maybe'"),
    ("started > yesterday", 10,
     "expected a date or date and time such as 2026-11-27 or 2026-11-27T10:00:00Z for started, found 'yesterday'"),
    ("kind = jvp and\n  seed < ", 24, "expected a value after '<', found the end of the filter"),
  ] as [(String, Int, String)])
  func pointsAtTheOffendingToken(filter: String, offset: Int, message: String) {
    let error = #expect(throws: QueryError.self) { try RunQuery(filter: filter) }
    #expect(error?.part == .filter)
    #expect(error?.offset == offset)
    #expect(error?.message == message)
  }

  @Test func rendersWithACaret() {
    let error = #expect(throws: QueryError.self) { try RunQuery(filter: "time.jvp < and kind = jvp") }
    #expect(error?.render(filter: "time.jvp < and kind = jvp") == """
      filter:1:12: expected a value after '<', found 'and'
      time.jvp < and kind = jvp
                 ^
      """)
    let multiline = "kind = jvp and\n  seed <"
    let second = #expect(throws: QueryError.self) { try RunQuery(filter: multiline) }
    #expect(second?.render(filter: multiline) == """
      filter:2:9: expected a value after '<', found the end of the filter
        seed <
              ^
      """)
  }

  @Test func aDeeplyNestedFilterIsAnErrorNotACrash() throws {
    let filter = String(repeating: "(", count: 10_000) + "kind = jvp" + String(repeating: ")", count: 10_000)
    let error = #expect(throws: QueryError.self) { try RunQuery(filter: filter) }
    #expect(error?.offset == FilterParser.maximumDepth)
    let nots = String(repeating: "not ", count: 10_000) + "kind = jvp"
    #expect(throws: QueryError.self) { try RunQuery(filter: nots) }
    #expect(try ids(String(repeating: "(", count: 50) + "kind = jvp" + String(repeating: ")", count: 50)) == [3, 1])
  }

  @Test func anInjectionAttemptIsAParseErrorAndTheDataStays() throws {
    try withDatabasePath { path in
      let store = try RunStore.open(path: path, mode: .readWrite)
      for run in Self.runs { _ = try store.record(run) }
      for filter in [
        "kind = 'x'; DROP TABLE runs; --", "kind = x; DROP TABLE runs", "kind = jvp -- comment",
        "kind = jvp) OR (1 = 1", "tag.x') OR 1=1 -- = 1",
      ] {
        #expect(throws: QueryError.self, "\(filter)") { try RunQuery(filter: filter) }
      }
      let error = #expect(throws: QueryError.self) { try RunQuery(filter: "kind = 'x'; DROP TABLE runs; --") }
      #expect(error?.offset == 10)
      // Names and values that look like SQL are bound, never spliced in.
      #expect(try store.runs(matching: RunQuery(filter: "kind = \"jvp' OR '1'='1\"")).isEmpty)
      #expect(try store.runs(matching: RunQuery(filter: "tag.x]*[ = '1 OR 1=1'")).isEmpty)
      #expect(try store.runs(matching: RunQuery(filter: "", sort: "tag.model); DROP TABLE runs; --")).count == 4)
      #expect(try store.rawQuery(sql: "SELECT count(*) FROM runs").rows == [[.integer(4)]])
    }
  }

  @Test(arguments: [
    ("bogus", 0, "unknown field 'bogus'; fields are \(QueryField.names)"),
    ("kind,,id", 5, "expected a field name to sort by"),
    ("kind,", 5, "expected a field name to sort by"),
    ("-", 1, "expected a field name to sort by"),
    ("id, -nope", 5, "unknown field 'nope'; fields are \(QueryField.names)"),
  ] as [(String, Int, String)])
  func refusesBadSortKeys(sort: String, offset: Int, message: String) {
    let error = #expect(throws: QueryError.self) { try RunQuery(filter: "", sort: sort) }
    #expect(error?.part == .sort)
    #expect(error?.offset == offset)
    #expect(error?.message == message)
    #expect(error?.render(filter: "", sort: sort).hasPrefix("sort:1:\(offset + 1): ") == true)
  }
}
