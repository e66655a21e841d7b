/// How every element of a float tensor is written: PyTorch's `_Formatter`, decided once from the elements it sees.
///
/// The mode comes from the finite, non-zero values only, so nan, inf and ±0 never switch a tensor into or out of
/// scientific or integer notation.
struct ElementFormatter {
  /// The three float notations PyTorch picks between; `scientific` wins over `integral`.
  enum Mode {
    /// Every measured value is whole, or none is measured: `%.0f` plus a trailing `.`.
    case integral
    /// `%.4f`.
    case fixed
    /// `%.4e`.
    case scientific
  }

  /// Digits after the point in `fixed` and `scientific`: PyTorch's default precision.
  static let precision = 4

  let mode: Mode

  /// Chooses the notation for a float tensor from the values PyTorch would look at.
  init(floats values: [Double]) {
    var largest = 0.0
    var smallest = Double.infinity
    var measured = false
    var integral = true
    for value in values where Self.isMeasured(value) {
      measured = true
      let magnitude = value.magnitude
      largest = max(largest, magnitude)
      smallest = min(smallest, magnitude)
      if value != value.rounded(.up) { integral = false }
    }
    if !measured {
      mode = .integral
    } else if largest / smallest > 1000.0 || largest > 1.0e8 || smallest < 1.0e-4 {
      mode = .scientific
    } else {
      mode = integral ? .integral : .fixed
    }
  }

  /// Whether a float value counts towards the notation and the column width (finite and non-zero).
  static func isMeasured(_ value: Double) -> Bool { value.isFinite && value != 0 }

  /// The unpadded text of a float value; nan keeps no sign, and non-finite values get no trailing `.`.
  func text(_ value: Double) -> String {
    if value.isNaN { return "nan" }
    if value.isInfinite { return value < 0 ? "-inf" : "inf" }
    switch mode {
    case .scientific: return CFormat.exponent(value, precision: Self.precision)
    case .integral: return CFormat.fixed(value, precision: 0) + "."
    case .fixed: return CFormat.fixed(value, precision: Self.precision)
    }
  }
}
