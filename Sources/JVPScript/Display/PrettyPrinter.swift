/// IPython's `pretty(obj, max_width=79)` for tuples, lists, dicts and sets: a port of the PrettyPrinter algorithm in the spec,
/// INCLUDING its deq() source bug.
///
/// A "does it fit?" check does not reproduce IPython's breaks, so this keeps its buffer, group queue and breakables.
public enum PrettyPrinter {
  /// The text IPython shows for `value`, with no trailing newline.
  public static func pretty(_ value: DisplayValue, maxWidth: Int = 79) -> String {
    let printer = Printer(maxWidth: maxWidth)
    printer.pretty(value)
    printer.flush()
    return printer.output
  }
}

/// A group of breakables that breaks all at once; compared by identity like IPython's `Group` objects.
private final class Group {
  let depth: Int
  /// How many of the group's breakables are still in the buffer (IPython keeps them in a deque).
  var pending = 0
  var want = false

  init(depth: Int) { self.depth = depth }
}

/// One entry of the output buffer: text, or a separator that becomes `" "` or a newline.
private enum Item {
  case text(String, width: Int)
  case breakable(indent: Int, group: Group)

  var width: Int {
    switch self {
    case .text(_, let width): width
    case .breakable: 1
    }
  }
}

/// The state of IPython's `PrettyPrinter` for one call of `pretty`.
private final class Printer {
  /// IPython stops a sequence after this many items and writes `...`.
  static let maxSequenceLength = 1000

  let maxWidth: Int
  var output = ""
  var outputWidth = 0
  var bufferWidth = 0
  /// A deque: the live items are `buffer[bufferStart...]`.
  var buffer: [Item] = []
  var bufferStart = 0
  var stack: [Group]
  var queue: [[Group]] = []
  var indent = 0

  init(maxWidth: Int) {
    self.maxWidth = maxWidth
    let root = Group(depth: 0)
    stack = [root]
    enqueue(root)
  }

  func pretty(_ value: DisplayValue) {
    begin()
    switch value {
    case .tuple(let items): sequence(items, open: "(", close: ")", isTuple: true)
    case .list(let items): sequence(items, open: "[", close: "]", isTuple: false)
    case .set(let items): sequence(items, open: "{", close: "}", isTuple: false)
    case .dict(let entries): dict(entries)
    case .call(let name, let arguments): sequence(arguments, open: name + "(", close: ")", isTuple: false)
    case .atom(let repr): reprLines(repr)
    }
    end()
  }

  /// IPython's `_dict_pprinter_factory('{', '}')`: `key: value` items, breakable after each comma.
  private func dict(_ entries: [DisplayEntry]) {
    begin(indent: 1, open: "{")
    separated(entries) { entry in
      pretty(entry.key)
      text(": ")
      pretty(entry.value)
    }
    end(dedent: 1, close: "}")
  }

  private func sequence(_ items: [DisplayValue], open: String, close: String, isTuple: Bool) {
    begin(indent: 1, open: open)
    separated(items) { pretty($0) }
    if isTuple && items.count == 1 { text(",") }
    end(dedent: 1, close: close)
  }

  /// Each item, with `,` and a breakable between them, stopping with `...` after `maxSequenceLength` items.
  private func separated<Item>(_ items: [Item], _ show: (Item) -> Void) {
    for (index, item) in items.enumerated() {
      if index >= Self.maxSequenceLength {
        text(",")
        breakable()
        text("...")
        break
      }
      if index > 0 {
        text(",")
        breakable()
      }
      show(item)
    }
  }

  private func reprLines(_ repr: String) {
    begin()
    for (index, line) in pythonSplitLines(repr).enumerated() {
      if index > 0 { hardBreak() }
      text(line)
    }
    end()
  }

  private func text(_ string: String) {
    let width = string.unicodeScalars.count
    if bufferStart < buffer.count {
      if case .text(let previous, let previousWidth) = buffer[buffer.count - 1] {
        buffer[buffer.count - 1] = .text(previous + string, width: previousWidth + width)
      } else {
        buffer.append(.text(string, width: width))
      }
      bufferWidth += width
      breakOuterGroups()
    } else {
      output += string
      outputWidth += width
    }
  }

  private func breakable() {
    let group = stack[stack.count - 1]
    if group.want {
      newline()
    } else {
      group.pending += 1
      buffer.append(.breakable(indent: indent, group: group))
      bufferWidth += 1
      breakOuterGroups()
    }
  }

  private func hardBreak() {
    if let group = dequeue() { breakGroup(group) }
    newline()
  }

  private func newline() {
    flush()
    output += "\n" + String(repeating: " ", count: indent)
    outputWidth = indent
    bufferWidth = 0
  }

  private func begin(indent extra: Int = 0, open: String = "") {
    if !open.isEmpty { text(open) }
    let group = Group(depth: stack[stack.count - 1].depth + 1)
    stack.append(group)
    enqueue(group)
    indent += extra
  }

  private func end(dedent: Int = 0, close: String = "") {
    indent -= dedent
    let group = stack.removeLast()
    if group.pending == 0 { removeFromQueue(group) }
    if !close.isEmpty { text(close) }
  }

  private func breakOuterGroups() {
    while outputWidth + bufferWidth > maxWidth {
      guard let group = dequeue() else { return }
      breakGroup(group)
    }
  }

  private func breakGroup(_ group: Group) {
    while group.pending > 0 { emitFirst() }
    while bufferStart < buffer.count, case .text = buffer[bufferStart] { emitFirst() }
  }

  private func emitFirst() {
    let item = buffer[bufferStart]
    bufferStart += 1
    outputWidth = emit(item)
    bufferWidth -= item.width
    if bufferStart == buffer.count {
      buffer.removeAll(keepingCapacity: true)
      bufferStart = 0
    }
  }

  func flush() {
    for item in buffer[bufferStart...] { outputWidth = emit(item) }
    buffer.removeAll(keepingCapacity: true)
    bufferStart = 0
    bufferWidth = 0
  }

  /// Writes one buffer item and returns the new output width.
  private func emit(_ item: Item) -> Int {
    switch item {
    case .text(let string, let width):
      output += string
      return outputWidth + width
    case .breakable(let indent, let group):
      group.pending -= 1
      if group.want {
        output += "\n" + String(repeating: " ", count: indent)
        return indent
      }
      if group.pending == 0 { removeFromQueue(group) }
      output += " "
      return outputWidth + 1
    }
  }

  private func enqueue(_ group: Group) {
    while queue.count <= group.depth { queue.append([]) }
    queue[group.depth].append(group)
  }

  /// IPython's `GroupQueue.deq`: the outermost group with pending breakables, scanning each depth from the newest.
  ///
  /// IPython deletes at the index counted from the reversed list, which can remove a different group of the same
  /// depth; real output depends on that, so the bug is kept.
  private func dequeue() -> Group? {
    for depth in queue.indices {
      for (index, group) in queue[depth].reversed().enumerated() where group.pending > 0 {
        queue[depth].remove(at: index)
        group.want = true
        return group
      }
      for group in queue[depth] { group.want = true }
      queue[depth].removeAll()
    }
    return nil
  }

  private func removeFromQueue(_ group: Group) {
    if let index = queue[group.depth].firstIndex(where: { $0 === group }) {
      queue[group.depth].remove(at: index)
    }
  }
}

/// Python's `str.splitlines()`: splits at every line boundary Python knows, drops the separators, and yields no
/// final empty line for a trailing separator.
private func pythonSplitLines(_ string: String) -> [String] {
  var lines: [String] = []
  var current = String.UnicodeScalarView()
  var previousWasCarriageReturn = false
  for scalar in string.unicodeScalars {
    if previousWasCarriageReturn {
      previousWasCarriageReturn = false
      if scalar == "\n" { continue }
    }
    switch scalar.value {
    case 0x0A, 0x0B, 0x0C, 0x0D, 0x1C, 0x1D, 0x1E, 0x85, 0x2028, 0x2029:
      lines.append(String(current))
      current = String.UnicodeScalarView()
      previousWasCarriageReturn = scalar == "\r"
    default:
      current.append(scalar)
    }
  }
  if !current.isEmpty { lines.append(String(current)) }
  return lines
}
