import JVPCore

/// Python's string repr, float repr (shortest round trip, Python's switch to exponent form at 1e16 / 1e-4), and
/// list reprs for `.tolist()`, for display; the formatting machinery (`PythonFormat`) computes them.
public enum PythonRepr {
  /// Python's repr of a string: single quotes unless the text holds one and no double quote, non-printable
  /// characters escaped as CPython escapes them.
  public static func string(_ s: String) -> String { PythonFormat.stringRepr(s) }

  /// `repr(x)` for a Python float: `0.1`, `1e-05`, `1e+16`, `9999999999999998.0`, `nan`, `-0.0`.
  public static func float(_ value: Double) -> String { PythonFormat.floatRepr(value) }

  /// `repr(t.tolist())`: nested lists of Python ints or floats on one line; float32 is widened to Double first, and a
  /// 0-d tensor gives a bare scalar.
  public static func list(_ tensor: Tensor) -> String {
    let element: (Int) -> String
    switch tensor.storage {
    case .int64(let values): element = { String(values[$0]) }
    case .bool(let values): element = { values[$0] ? "True" : "False" }
    case .float32, .float64: element = { float(tensor.element($0)) }
    }
    var text = ""
    var next = 0
    func append(dim: Int) {
      if dim == tensor.rank {
        text += element(next)
        next += 1
        return
      }
      text += "["
      for i in 0..<tensor.shape[dim] {
        if i > 0 { text += ", " }
        append(dim: dim + 1)
      }
      text += "]"
    }
    append(dim: 0)
    return text
  }
}
