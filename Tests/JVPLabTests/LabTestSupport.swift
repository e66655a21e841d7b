import Foundation
import JVPCore
import JVPLab
import JVPScript
import JVPStore
import Testing

/// jvplab's exit codes (Swift Testing has an `ExitStatus` of its own).
typealias ExitStatus = JVPLab.ExitStatus
/// Swift Testing's, not the script language's.
typealias SourceLocation = Testing.SourceLocation

/// A scratch directory with its own database, removed when the test lets go of it.
final class Lab {
  let directory: URL
  let database: String

  init() throws {
    directory = FileManager.default.temporaryDirectory.appendingPathComponent("jvplab-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    database = directory.appendingPathComponent("jvplab.db").path
  }

  deinit { try? FileManager.default.removeItem(at: directory) }

  /// Writes `source` to `name` in the directory and returns its path.
  func script(_ name: String, _ source: String) throws -> String {
    let url = directory.appendingPathComponent(name)
    try source.write(to: url, atomically: true, encoding: .utf8)
    return url.path
  }

  /// A copy of an `examples/` script, so the path the runs record is the scratch one.
  func fixture(_ name: String) throws -> String {
    try script(name + ".py", String(contentsOf: Examples.url(name), encoding: .utf8))
  }

  func options(_ change: (inout RunOptions) -> Void = { _ in }) -> RunOptions {
    var options = RunOptions(database: database)
    change(&options)
    return options
  }

  /// `jvplab run SCRIPT`, in-process.
  @discardableResult
  func run(script path: String, _ change: (inout RunOptions) -> Void = { _ in }) -> (status: ExitStatus, output: Capture) {
    let output = Capture()
    let status = ScriptRun.run(path: path, options: options(change), console: output.console)
    return (status, output)
  }

  /// `jvplab run --fn SRC --input ...`, in-process.
  @discardableResult
  func run(fn spec: FunctionSpec, dtype: DType = .float32, _ change: (inout RunOptions) -> Void = { _ in })
    -> (status: ExitStatus, output: Capture)
  {
    let output = Capture()
    let status = FunctionRun.run(spec, dtype: dtype, options: options(change), console: output.console)
    return (status, output)
  }

  /// `jvplab query`, in-process.
  func query(_ filter: String = "", sort: String? = nil, limit: Int? = nil, format: Query.Format = .table, sql: String? = nil)
    -> (status: ExitStatus, output: Capture)
  {
    var request = Query.Request(database: database)
    request.filter = filter
    request.sort = sort
    request.limit = limit
    request.format = format
    request.sql = sql
    let output = Capture()
    return (Query.run(request, console: output.console), output)
  }

  /// The ids `query` selects, read from its CSV output, in order.
  func ids(_ filter: String, sort: String? = nil, limit: Int? = nil) throws -> [Int64] {
    let (status, output) = query(filter, sort: sort, limit: limit, format: .csv)
    #expect(status == .success, "query \(filter): \(output.err)")
    let lines = output.out.split(separator: "\n").dropFirst()
    return try lines.map { line in try #require(Int64(line.prefix { $0 != "," })) }
  }

  func store() throws -> RunStore { try RunStore.open(path: database, mode: .readOnly) }

  /// Every recorded run, oldest first.
  func runs() throws -> [RunSummary] { try store().runs(matching: RunQuery(sort: "id")) }

  func detail(_ id: Int64) throws -> RunDetail { try #require(try store().run(id: id)) }
}

/// A `--fn` spec, spelled like the command line.
func spec(_ source: String, _ inputs: [(String, String)], kind: AutodiffKind, seed: Int = 0,
          tangents: [(String, String)] = [], cotangent: String? = nil) -> FunctionSpec {
  var spec = FunctionSpec(source: source, inputs: inputs.map { (name: $0.0, expression: $0.1) }, kind: kind)
  spec.seed = seed
  spec.tangents = tangents.map { (name: $0.0, expression: $0.1) }
  spec.cotangent = cotangent
  return spec
}

/// Parses JSON text into Foundation objects, with numbers read exactly.
///
/// On Linux, `JSONSerialization` reads numbers as `NSDecimalNumber`, whose `doubleValue` can be off in
/// the last bits; re-reading its exact decimal text with `Double(_:)` gives the correctly rounded value,
/// so tests can check that `data` round-trips bit for bit.
func parseJSON(_ text: String) throws -> Any {
  func exact(_ value: Any) -> Any {
    switch value {
    case let number as NSDecimalNumber: NSNumber(value: Double(number.description) ?? number.doubleValue)
    case let array as [Any]: array.map(exact)
    case let object as [String: Any]: object.mapValues(exact)
    default: value
    }
  }
  return exact(try JSONSerialization.jsonObject(with: Data(text.utf8), options: [.fragmentsAllowed]))
}

extension StoredTensor {
  /// The stored elements as doubles (exact for float32 and float64).
  var values: [Double]? {
    switch elements {
    case .float32(let values)?: values.map(Double.init)
    case .float64(let values)?: values
    case .int64(let values)?: values.map(Double.init)
    case .bool(let values)?: values.map { $0 ? 1 : 0 }
    case nil: nil
    }
  }
}

extension RunDetail {
  func tensor(_ role: String, _ index: [Int] = []) -> StoredTensor? {
    tensors.first { $0.role == role && $0.index == index }
  }
}

/// The repository's `examples/` scripts, read in place: the tests run exactly what users run.
enum Examples {
  static let directory = URL(fileURLWithPath: #filePath)
    .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    .appendingPathComponent("examples")

  static func url(_ name: String) -> URL { directory.appendingPathComponent(name + ".py") }

  /// Every example script, sorted by path.
  static func all() throws -> [URL] {
    try FileManager.default.contentsOfDirectory(at: directory, includingPropertiesForKeys: nil)
      .filter { $0.pathExtension == "py" }.sorted { $0.path < $1.path }
  }
}
