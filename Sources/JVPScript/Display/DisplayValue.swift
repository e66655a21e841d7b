/// A displayable Python value for IPython's pretty printer.
///
/// Only tuples and lists are laid out by the printer; everything else arrives as its finished repr.
public indirect enum DisplayValue: Equatable, Sendable {
  /// A Python tuple; a 1-tuple prints with its trailing comma.
  case tuple([DisplayValue])
  /// A Python list.
  case list([DisplayValue])
  /// Any other object's repr (may span several lines, e.g. a tensor).
  case atom(String)
}
