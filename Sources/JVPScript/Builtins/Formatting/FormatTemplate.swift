// `str.format` templates: literal text and `{field!conversion:spec}` replacement fields, as CPython's
// `MarkupIterator` reads them, with `{}` auto-numbering resolved.

/// A piece of a `str.format` template.
enum TemplatePart: Equatable {
  case literal(String)
  /// `name` is the field name with auto-numbered `{}` resolved to "0", "1", ..., its `.attr` / `[key]` accessors
  /// left in for the caller to apply; `spec` is the raw format spec, whose nested auto-numbered fields are
  /// likewise rewritten as `{1}`, ... so that formatting them later keeps CPython's numbering.
  case field(name: String, conversion: Character?, spec: String)
}

extension PythonFormat {
  /// The parts of a `str.format` template: literal text with `{{`/`}}` unescaped, adjacent pieces merged, and the
  /// replacement fields `{field_name!conversion:format_spec}` in order.
  static func parseTemplate(_ template: String) throws(FormatError) -> [TemplatePart] {
    var numbering = FieldNumbering()
    return try TemplateParser.parse(Array(template.unicodeScalars), depth: 2, numbering: &numbering)
  }

  /// Whether `{}` or `{0}` numbering is in use, shared by a template and the fields nested in its specs.
  private struct FieldNumbering {
    enum Mode { case unset, automatic, manual }
    var mode = Mode.unset
    var next = 0
  }

  /// CPython's `MarkupIterator` and `parse_field`, plus the numbering half of `field_name_split`.
  private enum TemplateParser {
    static func parse(
      _ s: [Unicode.Scalar], depth: Int, numbering: inout FieldNumbering
    ) throws(FormatError) -> [TemplatePart] {
      if depth <= 0 { throw valueError("Max string recursion exceeded") }
      var parts: [TemplatePart] = []
      var literal = String.UnicodeScalarView()
      var i = 0
      while i < s.count {
        let start = i
        var brace: Unicode.Scalar?
        while i < s.count {
          i += 1
          if s[i - 1] == "{" || s[i - 1] == "}" {
            brace = s[i - 1]
            break
          }
        }
        guard let brace else {
          literal.append(contentsOf: s[start..<i])
          break
        }
        if i < s.count && s[i] == brace {
          literal.append(contentsOf: s[start..<i])
          i += 1
          continue
        }
        if brace == "}" { throw valueError("Single '}' encountered in format string") }
        if i >= s.count { throw valueError("Single '{' encountered in format string") }
        literal.append(contentsOf: s[start..<(i - 1)])
        if !literal.isEmpty {
          parts.append(.literal(String(literal)))
          literal = String.UnicodeScalarView()
        }
        parts.append(try field(s, &i, depth: depth, numbering: &numbering))
      }
      if !literal.isEmpty { parts.append(.literal(String(literal))) }
      return parts
    }

    /// The field after its `{`, through its closing `}`.
    private static func field(
      _ s: [Unicode.Scalar], _ i: inout Int, depth: Int, numbering: inout FieldNumbering
    ) throws(FormatError) -> TemplatePart {
      let nameStart = i
      var terminator: Unicode.Scalar?
      scan: while i < s.count {
        let c = s[i]
        i += 1
        switch c {
        case "{": throw valueError("unexpected '{' in field name")
        case "[": while i < s.count && s[i] != "]" { i += 1 }
        case "}", ":", "!":
          terminator = c
          break scan
        default: continue
        }
      }
      guard let terminator else { throw valueError("expected '}' before end of string") }
      let nameEnd = i - 1
      var conversion: Unicode.Scalar?
      var spec: ArraySlice<Unicode.Scalar> = []
      var nested = false
      if terminator != "}" {
        var hasSpec = true
        if terminator == "!" {
          guard i < s.count else { throw valueError("end of string while looking for conversion specifier") }
          conversion = s[i]
          i += 1
          if i < s.count {
            i += 1
            if s[i - 1] == "}" {
              hasSpec = false
            } else if s[i - 1] != ":" {
              throw valueError("expected ':' after conversion specifier")
            }
          }
        }
        if hasSpec { (spec, nested) = try specExtent(s, &i) }
      }
      // CPython looks the field up (numbering it), converts it, then expands its spec: errors come in that order.
      let name = try numbered(s[nameStart..<nameEnd], &numbering)
      if let conversion, !"rsa".unicodeScalars.contains(conversion) {
        throw unknownConversion(conversion)
      }
      var specText = String(String.UnicodeScalarView(spec))
      if nested {
        specText = try parse(Array(spec), depth: depth - 1, numbering: &numbering).map(templateText).joined()
      }
      return .field(name: name, conversion: conversion.map(Character.init), spec: specText)
    }

    /// A format spec through its matching `}`, and whether it holds nested fields.
    private static func specExtent(
      _ s: [Unicode.Scalar], _ i: inout Int
    ) throws(FormatError) -> (spec: ArraySlice<Unicode.Scalar>, nested: Bool) {
      let start = i
      var open = 1
      var nested = false
      while i < s.count {
        i += 1
        if s[i - 1] == "{" {
          nested = true
          open += 1
        } else if s[i - 1] == "}" {
          open -= 1
          if open == 0 { return (s[start..<(i - 1)], nested) }
        }
      }
      throw valueError("unmatched '{' in format spec")
    }

    private static func templateText(_ part: TemplatePart) -> String {
      switch part {
      case .literal(let text): escapedLiteral(text)
      case .field(let name, let conversion, let spec):
        "{" + name + (conversion.map { "!" + String($0) } ?? "") + (spec.isEmpty ? "" : ":" + spec) + "}"
      }
    }

    /// Literal template text with its braces doubled again.
    private static func escapedLiteral(_ text: String) -> String {
      var out = String.UnicodeScalarView()
      for c in text.unicodeScalars {
        out.append(c)
        if c == "{" || c == "}" { out.append(c) }
      }
      return String(out)
    }

    /// An empty first name component becomes the next automatic number; mixing `{}` with `{0}` is an error.
    private static func numbered(
      _ name: ArraySlice<Unicode.Scalar>, _ numbering: inout FieldNumbering
    ) throws(FormatError) -> String {
      let firstEnd = name.firstIndex { $0 == "." || $0 == "[" } ?? name.endIndex
      let first = name[..<firstEnd]
      let isEmpty = first.isEmpty
      var isIndex = !isEmpty
      var index = 0
      for c in first {
        guard let digit = decimalValue(c) else {
          isIndex = false
          break
        }
        index = try appendingDigit(digit, to: index)
      }
      let rest = String(String.UnicodeScalarView(name[firstEnd...]))
      guard isEmpty || isIndex else { return String(String.UnicodeScalarView(name)) }
      if numbering.mode == .unset { numbering.mode = isEmpty ? .automatic : .manual }
      if numbering.mode == .manual && isEmpty {
        throw valueError("cannot switch from manual field specification to automatic field numbering")
      }
      if numbering.mode == .automatic && !isEmpty {
        throw valueError("cannot switch from automatic field numbering to manual field specification")
      }
      guard isEmpty else { return String(String.UnicodeScalarView(name)) }
      numbering.next += 1
      return String(numbering.next - 1) + rest
    }
  }
}
