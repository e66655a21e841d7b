/// The signatures IPython shows for Python's builtin functions (`<function len(obj, /)>`), as
/// `inspect.signature` reports them in CPython 3.11; builtins without one (`print`, `range`, `min`) show
/// their bare name.
enum BuiltinSignatures {
  static let text: [String: String] = [
    "len": "(obj, /)", "repr": "(obj, /)", "abs": "(x, /)", "sum": "(iterable, /, start=0)", "sorted": "(iterable, /, *, key=None, reverse=False)",
    "isinstance": "(obj, class_or_tuple, /)", "callable": "(obj, /)", "hasattr": "(obj, name, /)", "divmod": "(x, y, /)",
    "pow": "(base, exp, mod=None)", "round": "(number, ndigits=None)", "chr": "(i, /)", "ord": "(c, /)", "any": "(iterable, /)",
    "all": "(iterable, /)", "format": "(value, format_spec='', /)",
  ]
}
