import Foundation
import JVPCore

/// What a tape run keeps so `jvplab replay` can run it again: the top-level statements that built its graph and
/// ran the pass (their source), the leaves by the global names that held them (input rows with names, and
/// `leaf_start` rows with the value a leaf had before the statements wrote it in place), and the
/// globals those statements read without assigning them (rows as `AutodiffCalls.recordedGlobals` lays them out,
/// functions by source).
extension Interpreter {
  /// Fills `record`'s source and bindings from the top-level statements `origins` and the one running now.
  /// A run that is not the first its statement made (a pass in a loop) says which it is in a last comment line
  /// (`TapeRunSource.ordinal`), so replay keeps that one of the passes the statements make again.
  func describeTapeRun(_ record: inout RecordedCall, origins: [Int], leaves: [TapeTensor]) {
    var indices = Set(origins)
    if let current = GradMode.origin { indices.insert(current) }
    var source = indices.sorted().map(topLevelSource).joined(separator: "\n")
    guard !source.isEmpty else { return }
    tapeRunsInStatement = tapeRunsInStatement.origin == GradMode.origin ? (GradMode.origin, tapeRunsInStatement.count + 1) : (GradMode.origin, 1)
    if tapeRunsInStatement.count > 1 { source += "\n" + TapeRunSource.marker(tapeRunsInStatement.count) }
    record.source = source
    var leafNames = [ObjectIdentifier: String]()
    var reads = [(name: String, value: Value)]()
    // The statements' reads, then those of each script function they (or a function read so far) call.
    var sources = [source]
    while let text = sources.popLast() {
      let (read, assigned) = Self.names(in: text)
      for name in read where !assigned.contains(name) && !reads.contains(where: { $0.name == name }) {
        guard let value = globals.lookup(name) else { continue }
        if case .tensor(.taped(let t), _) = value, leaves.contains(where: { $0 === t }) {
          if leafNames[ObjectIdentifier(t)] == nil { leafNames[ObjectIdentifier(t)] = name }
          continue
        }
        reads.append((name, value))
        if case .function(let function) = value { sources.append(function.source) }
      }
    }
    for (k, leaf) in leaves.enumerated() {
      guard let name = leafNames[ObjectIdentifier(leaf)],
        let row = record.tensors.firstIndex(where: { $0.role == "input" && $0.index == [k] }) else { continue }
      let original = record.tensors[row]
      record.tensors[row] = RecordedTensor(role: original.role, index: original.index, name: name, tensor: original.tensor)
      // A leaf the statements wrote in place (a training loop's update) is bound at its value before them.
      if let start = leaf.value(before: GradMode.origin) {
        record.tensors.append(RecordedTensor(role: "leaf_start", index: [k], name: name, tensor: start))
      }
    }
    record.tensors += Self.recordedGlobals(reads)
    for (name, value) in reads {
      if let source = Self.definingSource(value, name: name) { record.functions[name] = source }
    }
  }

  /// The text of top-level statement `index`: its lines up to the next statement, without trailing blank lines.
  func topLevelSource(_ index: Int) -> String {
    guard topLevelLines.indices.contains(index) else { return "" }
    let start = topLevelLines[index] - 1
    let end = index + 1 < topLevelLines.count ? topLevelLines[index + 1] - 1 : sourceLines.count
    var lines = Array(sourceLines[min(start, sourceLines.count)..<min(end, sourceLines.count)])
    while let last = lines.last, last.trimmingCharacters(in: .whitespaces).isEmpty || last.hasPrefix("#") { lines.removeLast() }
    return lines.joined(separator: "\n")
  }

  /// The names `source` reads and the names it assigns (targets before a top-level `=`, `for` targets, `def`
  /// names), by its tokens; attribute names and keyword arguments are neither.
  static func names(in source: String) -> (read: [String], assigned: Set<String>) {
    var lexer = Lexer(source: Array(source.unicodeScalars), file: "tape run", tracksIndentation: true)
    var tokens: [Token] = []
    while let token = try? lexer.next(), token.kind != .endOfFile { tokens.append(token) }
    var read: [String] = []
    var assigned = Set<String>()
    var lineStart = 0
    for (i, token) in tokens.enumerated() {
      switch token.kind {
      case .newline, .indent, .dedent: lineStart = i + 1
      case .punctuator(.assign):
        for case .name(let name) in tokens[lineStart..<i].map(\.kind) { assigned.insert(name) }
      case .name(let name):
        let previous = i > 0 ? tokens[i - 1].kind : nil
        let next = i + 1 < tokens.count ? tokens[i + 1].kind : nil
        if previous == .punctuator(.dot) || next == .punctuator(.assign) && lineStart != i { continue }
        if previous == .keyword(.def) || previous == .keyword(.for) || previous == .keyword(.as) {
          assigned.insert(name)
          continue
        }
        if !read.contains(name) { read.append(name) }
      default: break
      }
    }
    return (read, assigned)
  }
}

/// The comment a tape run's source ends in when it was not its statement's first run.
public enum TapeRunSource {
  static func marker(_ ordinal: Int) -> String { "# jvplab: tape run \(ordinal) of these statements" }

  /// Which of the tape runs its statements make a run is (1 unless its source says otherwise).
  public static func ordinal(of source: String) -> Int {
    guard let last = source.split(separator: "\n").last,
      let match = last.wholeMatch(of: /# jvplab: tape run (\d+) of these statements/) else { return 1 }
    return Int(match.1) ?? 1
  }
}
