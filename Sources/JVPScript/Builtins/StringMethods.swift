/// Methods of Python's `str` that notebooks use, with CPython's results and errors.
enum StringMethods {
  static func method(_ text: String, _ name: String) throws -> Value {
    let body: (Interpreter, Arguments) throws -> Value
    switch name {
    case "join":
      body = { interpreter, args in
        let items = try interpreter.iterate(try args.bind("join", ["iterable"], required: 1).values["iterable"]!).collect()
        let parts = try items.enumerated().map { i, item -> String in
          guard case .string(let part) = item else {
            throw RuntimeFailure("sequence item \(i): expected str instance, \(item.typeName) found", type: "TypeError")
          }
          return part
        }
        return .string(parts.joined(separator: text))
      }
    case "split", "rsplit":
      body = { _, args in
        let bound = try args.bind(name, ["sep", "maxsplit"])
        let limit = try bound.int("maxsplit", default: -1)
        guard let separator = bound["sep"] else { return .makeList(whitespaceSplit(text, limit: limit).map(Value.string)) }
        guard case .string(let sep) = separator, !sep.isEmpty else {
          throw RuntimeFailure(separator.typeName == "str" ? "empty separator" : "must be str or None, not \(separator.typeName)",
                               type: "ValueError")
        }
        var parts = text.components(separatedByString: sep)
        if limit >= 0 && parts.count > limit + 1 {
          parts = name == "split"
            ? Array(parts.prefix(limit)) + [parts.dropFirst(limit).joined(separator: sep)]
            : [parts.dropLast(limit).joined(separator: sep)] + Array(parts.suffix(limit))
        }
        return .makeList(parts.map(Value.string))
      }
    case "splitlines":
      body = { _, _ in
        var lines = text.split(omittingEmptySubsequences: false, whereSeparator: \.isNewline).map { Value.string(String($0)) }
        if text.isEmpty || text.last?.isNewline == true { lines.removeLast() }
        return .makeList(lines)
      }
    case "strip", "lstrip", "rstrip":
      body = { _, args in
        let bound = try args.bind(name, ["chars"])
        let chars = try bound["chars"].map { value -> Set<Character> in
          guard case .string(let set) = value else { throw RuntimeFailure("\(name) arg must be None or str", type: "TypeError") }
          return Set(set)
        }
        let strip: (Character) -> Bool = { chars?.contains($0) ?? $0.isWhitespace }
        var result = Substring(text)
        if name != "rstrip" { result = result.drop(while: strip) }
        if name != "lstrip" { while let last = result.last, strip(last) { result = result.dropLast() } }
        return .string(String(result))
      }
    case "ljust", "rjust", "center":
      body = { _, args in
        let bound = try args.bind(name, ["width", "fillchar"], required: 1)
        let width = try bound.int("width")
        let fill = try bound.string("fillchar", default: " ")
        guard fill.count == 1 else {
          throw RuntimeFailure("The fill character must be exactly one character long", type: "TypeError")
        }
        let missing = max(0, width - text.count)
        let pad = { (n: Int) in String(repeating: fill, count: n) }
        switch name {
        case "ljust": return .string(text + pad(missing))
        case "rjust": return .string(pad(missing) + text)
        default:
          // CPython puts the odd pad character on the left when the width and the text's length are both odd.
          let left = missing / 2 + (missing & width & 1)
          return .string(pad(left) + text + pad(missing - left))
        }
      }
    case "zfill":
      body = { _, args in
        let width = try args.bind("zfill", ["width"], required: 1).int("width")
        let missing = max(0, width - text.count)
        if let sign = text.first, sign == "+" || sign == "-" {
          return .string(String(sign) + String(repeating: "0", count: missing) + text.dropFirst())
        }
        return .string(String(repeating: "0", count: missing) + text)
      }
    case "upper": body = { _, _ in .string(text.uppercased()) }
    case "lower": body = { _, _ in .string(text.lowercased()) }
    case "title": body = { _, _ in .string(text.capitalized) }
    case "capitalize": body = { _, _ in .string(text.prefix(1).uppercased() + text.dropFirst().lowercased()) }
    case "replace":
      body = { _, args in
        let bound = try args.bind("replace", ["old", "new", "count"], required: 2)
        let old = try bound.string("old", default: "")
        let new = try bound.string("new", default: "")
        var parts = text.components(separatedByString: old)
        let count = try bound.int("count", default: -1)
        if count >= 0 && parts.count > count + 1 {
          parts = Array(parts.prefix(count)) + [parts.dropFirst(count).joined(separator: old)]
        }
        return .string(parts.joined(separator: new))
      }
    case "startswith", "endswith":
      body = { _, args in
        let value = try args.bind(name, ["prefix"], required: 1).values["prefix"]!
        let candidates: [Value] = if case .tuple(let items) = value { items } else { [value] }
        for candidate in candidates {
          guard case .string(let affix) = candidate else {
            throw RuntimeFailure("\(name) first arg must be str or a tuple of str, not \(candidate.typeName)", type: "TypeError")
          }
          if name == "startswith" ? text.hasPrefix(affix) : text.hasSuffix(affix) { return .bool(true) }
        }
        return .bool(false)
      }
    case "find", "index", "count":
      body = { _, args in
        let sub = try args.bind(name, ["sub"], required: 1).string("sub", default: "")
        let parts = text.components(separatedByString: sub)
        if name == "count" { return .int(sub.isEmpty ? text.count + 1 : parts.count - 1) }
        guard parts.count > 1 || sub.isEmpty else {
          if name == "index" { throw RuntimeFailure("substring not found", type: "ValueError") }
          return .int(-1)
        }
        return .int(sub.isEmpty ? 0 : parts[0].count)
      }
    case "format":
      body = { interpreter, args in .string(try Formatting.formatMethod(text, args, interpreter)) }
    case "isdigit", "isalpha", "isspace", "isalnum":
      body = { _, _ in
        let test: (Character) -> Bool = switch name {
        case "isdigit": { $0.isNumber }
        case "isalpha": { $0.isLetter }
        case "isspace": { $0.isWhitespace }
        default: { $0.isLetter || $0.isNumber }
        }
        return .bool(!text.isEmpty && text.allSatisfy(test))
      }
    default:
      throw RuntimeFailure("'str' object has no attribute '\(name)'", type: "AttributeError")
    }
    return .object(NativeFunction(name: name, owner: "str", call: body))
  }

  /// `str.split()` without a separator: runs of whitespace separate, leading and trailing ones are dropped.
  static func whitespaceSplit(_ text: String, limit: Int) -> [String] {
    var parts: [String] = []
    var rest = Substring(text).drop { $0.isWhitespace }
    while !rest.isEmpty {
      if limit >= 0 && parts.count == limit {
        var tail = rest
        while let last = tail.last, last.isWhitespace { tail = tail.dropLast() }
        parts.append(String(tail))
        break
      }
      let word = rest.prefix { !$0.isWhitespace }
      parts.append(String(word))
      rest = rest.dropFirst(word.count).drop { $0.isWhitespace }
    }
    return parts
  }
}

extension String {
  /// The pieces between occurrences of `separator` (Python's `str.split(sep)`), without Foundation.
  func components(separatedByString separator: String) -> [String] {
    guard !separator.isEmpty else { return [self] }
    var parts: [String] = []
    var rest = Substring(self)
    while let range = rest.firstRange(of: separator) {
      parts.append(String(rest[..<range.lowerBound]))
      rest = rest[range.upperBound...]
    }
    parts.append(String(rest))
    return parts
  }
}
