import JVPCore

/// PyTorch's tensor repr with default print options (precision 4, threshold 1000, edgeitems 3, linewidth 80).
///
/// Follows `torch/_tensor_str.py` rule by rule, so the interpreter's output matches a real notebook character for
/// character.
public enum TorchFormatter {
  /// Tensors with more elements than this are summarised with `...`.
  static let threshold = 1000
  /// Items kept at each end of a summarised dimension.
  static let edgeItems = 3
  /// The line width that rows are wrapped to and suffixes are measured against.
  static let lineWidth = 80
  /// The width of the `tensor(` prefix, the indent of the outermost dimension.
  static let prefixIndent = 7

  /// `repr(t)`: `tensor([0.8823, 0.9150])`, with the dtype suffix, row wrapping, summarisation and sci mode.
  ///
  /// `autogradSuffix` is `grad_fn=<MulBackward0>` or `requires_grad=True` when the tensor carries one; it follows the
  /// dtype and wraps the same way.
  public static func repr(_ tensor: Tensor, autogradSuffix: String? = nil) -> String {
    var suffixes: [String] = []
    var text = "tensor("
    if tensor.count == 0 {
      text += "[]"
      if tensor.rank != 1 { suffixes.append("size=" + pythonTuple(tensor.shape)) }
      if tensor.dtype != .float32 { suffixes.append("dtype=" + tensor.dtype.torchName) }
    } else {
      var layout = Layout(tensor)
      text += layout.render(dim: 0, indent: prefixIndent)
      if tensor.dtype == .float64 { suffixes.append("dtype=" + tensor.dtype.torchName) }
    }
    if let autogradSuffix { suffixes.append(autogradSuffix) }
    // PyTorch measures the last line two characters too long before the first wrap, and exactly after it.
    var tracked = lastLineLength(text) + 2
    for suffix in suffixes {
      if tracked + suffix.count + 2 > lineWidth {
        text += ",\n" + spaces(prefixIndent) + suffix
        tracked = prefixIndent + suffix.count
      } else {
        text += ", " + suffix
        tracked += suffix.count + 2
      }
    }
    return text + ")"
  }

  /// `repr(t.shape)`: `torch.Size([4, 4])`, never with a trailing comma.
  public static func sizeRepr(_ shape: [Int]) -> String {
    "torch.Size([" + shape.map(String.init).joined(separator: ", ") + "])"
  }

  /// Python's tuple repr of a shape: `(2, 3)`, `(5,)`, `()`.
  static func pythonTuple(_ shape: [Int]) -> String {
    "(" + shape.map(String.init).joined(separator: ", ") + (shape.count == 1 ? "," : "") + ")"
  }

  static func spaces(_ count: Int) -> String { String(repeating: " ", count: count) }

  private static func lastLineLength(_ text: String) -> Int {
    var length = 0
    for scalar in text.unicodeScalars.reversed() {
      if scalar == "\n" { break }
      length += 1
    }
    return length
  }

  /// The flat indices of the elements PyTorch shows, in row-major order: all of them, or when summarising, the
  /// first and last `edgeItems` along every dimension longer than `2 * edgeItems`.
  static func shownIndices(shape: [Int], summarize: Bool) -> [Int] {
    guard summarize else { return Array(0..<Shape.count(shape)) }
    var indices = [0]
    for (size, stride) in zip(shape, Shape.strides(shape)) {
      let kept = size > 2 * edgeItems ? Array(0..<edgeItems) + Array(size - edgeItems..<size) : Array(0..<size)
      indices = indices.flatMap { base in kept.map { base + $0 * stride } }
    }
    return indices
  }
}

/// Lays out the padded cells of a non-empty tensor as nested, wrapped brackets.
///
/// Only the shown elements are formatted; `render` consumes the cells in the same row-major order that
/// `shownIndices` produced them.
private struct Layout {
  let shape: [Int]
  let summarize: Bool
  let width: Int
  let cells: [String]
  var next = 0

  init(_ tensor: Tensor) {
    shape = tensor.shape
    summarize = tensor.count > TorchFormatter.threshold
    let shown = TorchFormatter.shownIndices(shape: shape, summarize: summarize)
    var texts: [String]
    var width = 1
    switch tensor.storage {
    case .int64(let values):
      texts = shown.map { String(values[$0]) }
      for text in texts { width = max(width, text.count) }
    case .bool(let values):
      texts = shown.map { values[$0] ? "True" : "False" }
      for text in texts { width = max(width, text.count) }
    case .float32, .float64:
      let values = shown.map(tensor.element)
      let formatter = ElementFormatter(floats: values)
      texts = values.map(formatter.text)
      for (value, text) in zip(values, texts) where ElementFormatter.isMeasured(value) {
        width = max(width, text.count)
      }
    }
    self.width = width
    cells = texts.map { $0.count < width ? TorchFormatter.spaces(width - $0.count) + $0 : $0 }
  }

  private mutating func nextCell() -> String {
    defer { next += 1 }
    return cells[next]
  }

  /// `_tensor_str_with_formatter`: the text of the sub-tensor at `dim`, whose first line starts at column `indent`.
  mutating func render(dim: Int, indent: Int) -> String {
    if dim == shape.count { return nextCell() }
    let size = shape[dim]
    let elided = summarize && size > 2 * TorchFormatter.edgeItems
    let leading = elided ? TorchFormatter.edgeItems : size
    let trailing = elided ? TorchFormatter.edgeItems : 0
    if dim == shape.count - 1 {
      var items: [String] = []
      for _ in 0..<leading { items.append(nextCell()) }
      if elided { items.append(" ...") }
      for _ in 0..<trailing { items.append(nextCell()) }
      let perLine = max(1, (TorchFormatter.lineWidth - indent) / (width + 2))
      let lines = stride(from: 0, to: items.count, by: perLine).map {
        items[$0..<min($0 + perLine, items.count)].joined(separator: ", ")
      }
      return "[" + lines.joined(separator: ",\n" + TorchFormatter.spaces(indent + 1)) + "]"
    }
    var slices: [String] = []
    for _ in 0..<leading { slices.append(render(dim: dim + 1, indent: indent + 1)) }
    if elided { slices.append("...") }
    for _ in 0..<trailing { slices.append(render(dim: dim + 1, indent: indent + 1)) }
    let newlines = String(repeating: "\n", count: shape.count - dim - 1)
    return "[" + slices.joined(separator: "," + newlines + TorchFormatter.spaces(indent + 1)) + "]"
  }
}
