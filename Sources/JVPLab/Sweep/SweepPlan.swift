import Foundation
import JVPCore
import JVPScript

/// One `--grid NAME=V1,V2,...`: a variable and the values it takes, as the command line spelled them.
public struct GridAxis: Codable, Sendable, Equatable {
  public var name: String
  public var values: [String]

  public init(name: String, values: [String]) {
    self.name = name
    self.values = values
  }

  /// Reads `NAME=V1,V2,...`; a malformed or empty grid is an error naming it.
  public init(parsing text: String) throws(LabFailure) {
    guard let equals = text.firstIndex(of: "=") else { throw LabFailure("--grid expects NAME=V1,V2,..., got '\(text)'") }
    name = String(text[..<equals]).trimmingCharacters(in: .whitespaces)
    guard let first = name.first, first == "_" || (first.isASCII && first.isLetter),
      name.allSatisfy({ $0 == "_" || ($0.isASCII && ($0.isLetter || $0.isNumber)) })
    else { throw LabFailure("--grid '\(text)': the name before '=' must be an identifier such as N or size") }
    let list = text[text.index(after: equals)...]
    guard !list.allSatisfy(\.isWhitespace) else { throw LabFailure("--grid \(name) has no values: give \(name)=V1,V2,...") }
    values = list.split(separator: ",", omittingEmptySubsequences: false).map { $0.trimmingCharacters(in: .whitespaces) }
    if let empty = values.firstIndex(of: "") {
      throw LabFailure("--grid \(name): value \(empty + 1) of '\(list)' is empty")
    }
    var seen = Set<String>()
    for value in values where !seen.insert(value).inserted {
      throw LabFailure("--grid \(name) lists the value \(value) twice")
    }
  }
}

/// What a sweep runs: the function (or script) and options of `jvplab run`, and the grid over them.
///
/// Stored as JSON with the sweep, so `jvplab sweep --resume` runs the same points.
public struct SweepPlan: Codable, Sendable, Equatable {
  /// `NAME=EXPR` of `--input` and `--tangent`.
  public struct Assignment: Codable, Sendable, Equatable {
    public var name: String
    public var expression: String

    public init(name: String, expression: String) {
      self.name = name
      self.expression = expression
    }
  }

  /// The function form: `--fn SRC`.
  public var function: String?
  /// The script form: its path, and the SHA-256 of its text when the sweep began.
  public var script: String?
  public var scriptSHA256: String?
  public var inputs: [Assignment] = []
  public var tangents: [Assignment] = []
  public var cotangent: String?
  public var kind: AutodiffKind?
  public var strategy: JacobianStrategy = .reverseMode
  public var vectorize = false
  public var dtype: DType = .float32
  public var seed = 0
  public var grid: [GridAxis] = []
  public var repeats = 1
  public var warmup = 0
  public var name: String?
  public var tags: [String: String] = [:]

  public init() {}

  /// Grid variables that set an option of the function form rather than a global.
  public static let optionAxes = ["strategy", "vectorize", "dtype", "seed", "kind"]
  /// A grid larger than this needs `--yes`.
  public static let confirmationLimit = 100_000

  /// The number of points, or nil past `Int.max`.
  public var pointCount: Int? {
    var count = 1
    for axis in grid {
      let (product, overflow) = count.multipliedReportingOverflow(by: axis.values.count)
      if overflow { return nil }
      count = product
    }
    return count
  }

  /// Point `index`'s values, one per axis, in grid order: the last axis varies fastest.
  public func point(_ index: Int) -> [(name: String, value: String)] {
    var rest = index
    var values: [(String, String)] = []
    for axis in grid.reversed() {
      values.append((axis.name, axis.values[rest % axis.values.count]))
      rest /= axis.values.count
    }
    return values.reversed()
  }

  /// `0..4` (both ends included) or `0,1,7`, as `--seeds` takes them.
  public static func seeds(_ text: String) throws(LabFailure) -> [String] {
    let parts = text.components(separatedBy: "..")
    if parts.count == 2, let low = Int(parts[0]), let high = Int(parts[1]) {
      guard low <= high, high - low < confirmationLimit else {
        throw LabFailure("--seeds \(text): expected A..B with A <= B (both included)")
      }
      return (low...high).map(String.init)
    }
    let list = text.split(separator: ",", omittingEmptySubsequences: false).map { $0.trimmingCharacters(in: .whitespaces) }
    guard !list.isEmpty, list.allSatisfy({ Int($0) != nil }) else {
      throw LabFailure("--seeds expects A..B or a list A,B,C of integers, got '\(text)'")
    }
    return list
  }

  /// Checks what the grid can only get wrong as a whole: no axis, an axis given twice, a value an option
  /// does not take, a variable nothing reads, too many points without `confirmed`.
  public func validate(scriptSource: String? = nil, confirmed: Bool) throws(LabFailure) {
    guard !grid.isEmpty else { throw LabFailure("sweep needs at least one --grid NAME=V1,V2,... (or --seeds)") }
    var names = Set<String>()
    for axis in grid where !names.insert(axis.name).inserted {
      throw LabFailure("--grid \(axis.name) is given twice (--seeds is the axis seed)")
    }
    let used = Self.identifiers(in: scriptSource.map { [$0] } ?? usedSources)
    for axis in grid {
      if function != nil, Self.optionAxes.contains(axis.name) {
        try Self.checkOption(axis)
      } else if script != nil, axis.name == "dtype" {
        try Self.checkOption(axis)
      } else if !used.contains(axis.name) {
        let where_ = script.map { "the script \($0)" } ?? "--fn, --input, --tangent or --cotangent"
        throw LabFailure("--grid \(axis.name): \(axis.name) is not used by \(where_)")
      }
    }
    if function != nil, kind == nil, !names.contains("kind") {
      throw LabFailure("--fn needs --kind (jvp, vjp, jacobian, hessian, hvp or vhp) or --grid kind=...")
    }
    guard let count = pointCount, count <= Self.confirmationLimit || confirmed else {
      let count = pointCount.map { $0.formatted() } ?? "more than \(Int.max)"
      throw LabFailure("the grid has \(count) points, more than \(Self.confirmationLimit.formatted()): pass --yes to run them all")
    }
  }

  /// The texts a function sweep's grid variables may appear in.
  private var usedSources: [String] {
    [function ?? ""] + inputs.map(\.expression) + tangents.map(\.expression) + [cotangent ?? ""]
  }

  private static func checkOption(_ axis: GridAxis) throws(LabFailure) {
    let allowed: [String] =
      switch axis.name {
      case "strategy": JacobianStrategy.allCases.map(\.rawValue)
      case "vectorize": ["true", "false"]
      case "dtype": ["float32", "float64"]
      case "kind": AutodiffKind.allCases.map(\.rawValue)
      default: []
      }
    for value in axis.values {
      if axis.name == "seed" {
        guard Int(value) != nil else { throw LabFailure("--grid seed: '\(value)' is not an integer") }
      } else if !allowed.contains(value) {
        throw LabFailure("--grid \(axis.name): '\(value)' is not one of \(allowed.joined(separator: ", "))")
      }
    }
  }

  /// The Python identifiers in `texts`: the words that do not start with a digit.
  static func identifiers(in texts: [String]) -> Set<String> {
    let isWord = { (character: Character) in character == "_" || (character.isASCII && (character.isLetter || character.isNumber)) }
    var result = Set<String>()
    for text in texts {
      for word in text.split(whereSeparator: { !isWord($0) }) where !(word.first?.isNumber ?? true) {
        result.insert(String(word))
      }
    }
    return result
  }
}
