import Foundation
import Hummingbird
import HummingbirdTesting
import JVPCore
import JVPLab
import JVPScript
import JVPStore
import JVPWeb
import Testing

/// A scratch directory with its own database, removed when the test lets go of it.
final class WebLab: @unchecked Sendable {
  let directory: URL
  let database: String

  init() throws {
    directory = FileManager.default.temporaryDirectory.appendingPathComponent("jvplab-web-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    database = directory.appendingPathComponent("jvplab.db").path
  }

  deinit { try? FileManager.default.removeItem(at: directory) }

  /// Records one `--fn` run, as `jvplab run --fn SRC --input ... --kind KIND` does.
  @discardableResult
  func record(_ source: String, _ inputs: [(String, String)], kind: AutodiffKind, name: String? = nil,
              tags: [String: String] = [:], storeLimit: Int? = nil) -> JVPLab.ExitStatus {
    let spec = FunctionSpec(source: source, inputs: inputs.map { (name: $0.0, expression: $0.1) }, kind: kind)
    var options = RunOptions(database: database)
    options.name = name
    options.tags = tags
    if let storeLimit { options.storeLimit = storeLimit }
    return FunctionRun.run(spec, dtype: .float32, options: options, console: Self.silent)
  }

  static let silent = Console(out: { _ in }, err: { _ in })

  func site() throws -> WebSite { try WebSite.open(database: database, console: Self.silent) }

  func store() throws -> RunStore { try RunStore.open(path: database, mode: .readOnly) }

  /// GETs `uris` in turn from the app, in-process (HummingbirdTesting's router client).
  func get(_ uris: [String], site: WebSite? = nil, options: WebServer.Options = .init()) async throws -> [TestResponse] {
    let app = Application(router: WebServer.router(try site ?? self.site(), options: options))
    return try await app.test(.router) { client in
      var responses: [TestResponse] = []
      for uri in uris { responses.append(try await client.execute(uri: uri, method: .get)) }
      return responses
    }
  }

  func get(_ uri: String, site: WebSite? = nil) async throws -> TestResponse {
    try await get([uri], site: site)[0]
  }
}

extension TestResponse {
  var text: String { String(buffer: body) }
  var data: Data { Data(body.readableBytesView) }
}

/// The package root, where `.build/debug/jvplab` and `examples/` are.
let packageRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

/// How often `needle` occurs in `text`.
func occurrences(of needle: String, in text: String) -> Int {
  text.components(separatedBy: needle).count - 1
}
