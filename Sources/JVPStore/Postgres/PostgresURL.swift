import Foundation

/// A `--db postgresql://USER[:PASSWORD]@HOST[:PORT]/DBNAME[?sslmode=MODE]` value, taken apart.
///
/// The password is kept only to connect: `description` (what every message and the recorded command
/// line show) never holds it. Without one in the URL it comes from `PGPASSWORD`, then `~/.pgpass`
/// (or `PGPASSFILE`), as libpq looks for it.
public struct PostgresURL: Sendable, Equatable, CustomStringConvertible {
  /// libpq's `sslmode` values that jvplab honours.
  public enum SSLMode: String, Sendable {
    /// No TLS.
    case disable
    /// TLS when the server offers it, unverified (libpq's default, and `allow`).
    case prefer
    /// TLS or no connection, certificate unverified.
    case require
    /// TLS with the certificate verified against the system's roots, any host name.
    case verifyCA = "verify-ca"
    /// TLS with the certificate and the host name verified.
    case verifyFull = "verify-full"
  }

  public var user: String
  public var password: String?
  public var host: String
  public var port: Int
  public var database: String
  public var sslMode: SSLMode

  /// Whether `text` names a PostgreSQL server rather than an SQLite file.
  public static func isPostgres(_ text: String) -> Bool {
    text.hasPrefix("postgresql://") || text.hasPrefix("postgres://")
  }

  /// Parses `text`; the error message shows the URL without its password.
  public init(_ text: String, environment: [String: String] = ProcessInfo.processInfo.environment) throws(StoreError) {
    let shown = Self.masked(text)
    func invalid(_ why: String) -> StoreError {
      StoreError(.inaccessible, "\(shown) is not a PostgreSQL URL: \(why) (postgresql://USER[:PASSWORD]@HOST[:PORT]/DBNAME[?sslmode=MODE])")
    }
    guard Self.isPostgres(text), let components = URLComponents(string: text) else { throw invalid("it does not parse") }
    guard let host = components.host, !host.isEmpty else { throw invalid("no host") }
    guard let user = components.percentEncodedUser, !user.isEmpty else { throw invalid("no user") }
    let database = String(components.percentEncodedPath.drop(while: { $0 == "/" }))
    guard !database.isEmpty, !database.contains("/") else { throw invalid("no database name after the host") }
    self.host = host.hasPrefix("[") ? String(host.dropFirst().dropLast()) : host
    self.port = components.port ?? 5432
    self.user = user.removingPercentEncoding ?? user
    self.database = database.removingPercentEncoding ?? database
    var mode = SSLMode.prefer
    for item in components.queryItems ?? [] {
      guard item.name == "sslmode" else { throw invalid("unknown parameter '\(item.name)'; jvplab takes sslmode") }
      let value = item.value ?? ""
      if value == "allow" {
        mode = .prefer
      } else if let known = SSLMode(rawValue: value) {
        mode = known
      } else {
        throw invalid("unknown sslmode '\(value)'; use disable, allow, prefer, require, verify-ca or verify-full")
      }
    }
    self.sslMode = mode
    self.description = shown
    self.password =
      components.percentEncodedPassword.map { $0.removingPercentEncoding ?? $0 } ?? environment["PGPASSWORD"]
      ?? Self.passFilePassword(host: self.host, port: port, database: self.database, user: self.user, environment: environment)
  }

  /// The URL as messages show it: as given, less the password.
  public let description: String

  /// `text` with the password of a PostgreSQL URL replaced by `***`; any other text unchanged.
  public static func masked(_ text: String) -> String {
    guard isPostgres(text), let schemeEnd = text.range(of: "://") else { return text }
    let rest = text[schemeEnd.upperBound...]
    guard let at = rest.lastIndex(of: "@") else { return text }
    let credentials = rest[..<at]
    guard let colon = credentials.firstIndex(of: ":") else { return text }
    return String(text[..<colon]) + ":***" + String(rest[at...])
  }

  /// The password `~/.pgpass` (or `$PGPASSFILE`) gives for this server, database and user: the first
  /// `host:port:database:user:password` line that matches, `*` matching anything.
  static func passFilePassword(
    host: String, port: Int, database: String, user: String, environment: [String: String]
  ) -> String? {
    let path = environment["PGPASSFILE"] ?? (environment["HOME"].map { $0 + "/.pgpass" } ?? NSHomeDirectory() + "/.pgpass")
    guard let text = try? String(contentsOfFile: path, encoding: .utf8) else { return nil }
    let wanted = [host, String(port), database, user]
    for line in text.split(whereSeparator: \.isNewline) where !line.hasPrefix("#") {
      let fields = splitPassLine(String(line))
      guard fields.count == 5 else { continue }
      let matches = zip(fields.prefix(4), wanted).allSatisfy { field, value in
        field == "*" || field == value || (value == "localhost" && field == "127.0.0.1")
      }
      if matches { return fields[4] }
    }
    return nil
  }

  /// A `.pgpass` line's fields: separated by `:`, with `\:` and `\\` escaping.
  private static func splitPassLine(_ line: String) -> [String] {
    var fields: [String] = []
    var field = ""
    var escaped = false
    for character in line {
      if escaped {
        field.append(character)
        escaped = false
      } else if character == "\\" {
        escaped = true
      } else if character == ":" {
        fields.append(field)
        field = ""
      } else {
        field.append(character)
      }
    }
    fields.append(field)
    return fields
  }
}
