import Foundation
import Testing

/// The PostgreSQL server the PostgreSQL suites run against: `$JVPLAB_TEST_POSTGRES_URL`, which `.ci/run`
/// (through `tools/postgres_cluster.sh`) sets to a throwaway cluster on loopback. Without it those suites
/// are skipped, with `reason` printed beside each.
enum PostgresTestServer {
  static let url = ProcessInfo.processInfo.environment["JVPLAB_TEST_POSTGRES_URL"].flatMap { $0.isEmpty ? nil : $0 }
  static var available: Bool { url != nil }
  static let reason: Comment =
    "skipped: JVPLAB_TEST_POSTGRES_URL is not set, so there is no PostgreSQL server to test against (.ci/run starts one with tools/postgres_cluster.sh)"

  /// The server URL with its database part replaced by `database`.
  static func url(database: String) -> String {
    let base = url ?? ""
    guard let slash = base.range(of: "/", options: .backwards) else { return base }
    return String(base[..<slash.upperBound]) + database
  }

  /// The test server's URL with `password` in place of the real one.
  static func url(password: String) -> String {
    let base = url ?? ""
    guard let scheme = base.range(of: "://"), let colon = base[scheme.upperBound...].firstIndex(of: ":"),
      let at = base.range(of: "@", options: .backwards)
    else { return base }
    return String(base[..<colon]) + ":" + password + String(base[at.lowerBound...])
  }

  /// Creates a new, empty database on the server and returns its URL.
  static func freshDatabase() throws -> String {
    let name = "jvplab_t_" + UUID().uuidString.replacingOccurrences(of: "-", with: "").prefix(16).lowercased()
    try sql("CREATE DATABASE \(name)")
    return url(database: name)
  }

  /// Runs `statement` with psql against `database` (default: the URL's own database).
  @discardableResult
  static func sql(_ statement: String, on database: String? = nil) throws -> String {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
    process.arguments = ["psql", database ?? url ?? "", "-X", "-q", "-t", "-A", "-v", "ON_ERROR_STOP=1", "-c", statement]
    let output = Pipe()
    process.standardOutput = output
    process.standardError = output
    try process.run()
    let data = output.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    let text = String(decoding: data, as: UTF8.self)
    guard process.terminationStatus == 0 else {
      throw PostgresTestError(message: "psql \(statement): \(text)")
    }
    return text.trimmingCharacters(in: .whitespacesAndNewlines)
  }
}

struct PostgresTestError: Error, CustomStringConvertible {
  var message: String
  var description: String { message }
}
