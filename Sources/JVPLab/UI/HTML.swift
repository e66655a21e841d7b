import Foundation

/// Building HTML text for `jvplab ui`. Every string that comes from the store or the request goes
/// through `escape` on its way into a page, so a run named `<script>...` is shown as text.
enum HTML {
  /// `text` with `& < > " '` replaced by entities: safe in element content and quoted attributes.
  static func escape(_ text: String) -> String {
    var result = ""
    result.reserveCapacity(text.utf8.count)
    for character in text {
      switch character {
      case "&": result += "&amp;"
      case "<": result += "&lt;"
      case ">": result += "&gt;"
      case "\"": result += "&quot;"
      case "'": result += "&#39;"
      default: result.append(character)
      }
    }
    return result
  }

  /// A query string from `parameters`, leaving out empty values; `?` included when there are any.
  static func query(_ parameters: [(String, String?)]) -> String {
    var allowed = CharacterSet.urlQueryAllowed
    allowed.remove(charactersIn: "&=+#?/;")
    let pairs = parameters.compactMap { key, value -> String? in
      guard let value, !value.isEmpty else { return nil }
      return key + "=" + (value.addingPercentEncoding(withAllowedCharacters: allowed) ?? "")
    }
    return pairs.isEmpty ? "" : "?" + pairs.joined(separator: "&")
  }

  /// A whole page: the shared head, the navigation bar with `active` marked, then `body`.
  static func page(title: String, active: String, body: String) -> String {
    func link(_ href: String, _ label: String) -> String {
      "<a href=\"\(href)\"\(label == active ? " class=\"active\"" : "")>\(label)</a>"
    }
    return """
      <!DOCTYPE html>
      <html lang="en">
      <head>
      <meta charset="utf-8">
      <meta name="viewport" content="width=device-width, initial-scale=1">
      <title>\(escape(title)) · jvplab</title>
      <link rel="stylesheet" href="/assets/jvplab.css">
      </head>
      <body>
      <header><a class="brand" href="/">jvplab</a><nav>\(link("/", "runs"))\(link("/plot", "plot"))\(link("/api/runs", "api"))</nav></header>
      <main>
      \(body)
      </main>
      <script src="/assets/jvplab.js"></script>
      </body>
      </html>

      """
  }

  /// A table whose cells are already HTML.
  static func table(_ header: [String], _ rows: [[String]], className: String = "") -> String {
    let head = header.map { "<th>\($0)</th>" }.joined(separator: "")
    let body = rows.map { "<tr>" + $0.map { "<td>\($0)</td>" }.joined(separator: "") + "</tr>" }.joined(separator: "\n")
    return "<table class=\"\(className)\"><thead><tr>\(head)</tr></thead><tbody>\n\(body)\n</tbody></table>"
  }

  /// A definition list of (term, HTML value) pairs, skipping nil values.
  static func fields(_ pairs: [(String, String?)]) -> String {
    "<dl class=\"fields\">" + pairs.compactMap { key, value in value.map { "<dt>\(key)</dt><dd>\($0)</dd>" } }.joined(separator: "") + "</dl>"
  }

  /// A check's badge: `fd ok` in green, `fd FAIL` in red.
  static func check(_ name: String, maxAbs: Double, ok: Bool) -> String {
    let state = maxAbs.isNaN ? "nan" : (ok ? "ok" : "FAIL")
    return "<span class=\"badge \(state == "ok" ? "good" : "bad")\">\(escape(name)) \(state)</span>"
  }

  static func status(_ status: String) -> String {
    "<span class=\"status \(escape(status))\">\(escape(status))</span>"
  }
}
