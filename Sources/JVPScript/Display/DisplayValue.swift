/// A displayable Python value for IPython's pretty printer.
///
/// Containers are laid out by the printer; everything else arrives as its finished repr.
public indirect enum DisplayValue: Equatable, Sendable {
  /// A Python tuple; a 1-tuple prints with its trailing comma.
  case tuple([DisplayValue])
  /// A Python list.
  case list([DisplayValue])
  /// A dict, in insertion order.
  case dict([DisplayEntry])
  /// A non-empty set, its members already in IPython's (sorted) order.
  case set([DisplayValue])
  /// `name(arguments...)`, as IPython shows `dict_keys([...])`.
  case call(String, [DisplayValue])
  /// Any other object's repr (may span several lines, e.g. a tensor).
  case atom(String)
}

/// One `key: value` of a displayed dict.
public struct DisplayEntry: Equatable, Sendable {
  public let key: DisplayValue
  public let value: DisplayValue
}
