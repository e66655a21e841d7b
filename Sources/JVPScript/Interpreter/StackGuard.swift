#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// Keeps the interpreter's recursion inside the stack of the thread it runs on.
///
/// Evaluation is recursive (an expression evaluates its operands, a call evaluates the function's
/// body), and the parser's nesting limit bounds one expression, not a chain of calls through deeply
/// nested expressions (`def f(x): return -(-(...f(x)...))`): 200 calls of 200 levels each overflow
/// an 8 MiB stack, which kills the process without a word. Like CPython 3.12's C-stack check, the
/// interpreter compares the address of a local with the lowest address the thread's stack may
/// reach, minus a reserve for the library code a call runs, and reports "maximum recursion depth
/// exceeded" instead. The check is one comparison; the bounds are read once per run.
struct StackGuard {
  /// Recursion stops while the stack pointer is above this address; 0 disables the check.
  let limit: UInt

  static let disabled = StackGuard(limit: 0)

  /// A guard for the calling thread, keeping a quarter of its stack (at most 1 MiB, at least
  /// 64 KiB) for the library and engine code below the deepest evaluation.
  static func currentThread() -> StackGuard {
    guard let (low, size) = stackBounds(), size > 0 else { return .disabled }
    let reserve = UInt(max(64 << 10, min(size / 4, 1 << 20)))
    return StackGuard(limit: low + reserve)
  }

  /// Whether there is room for one more level of recursion.
  @inline(__always)
  func hasRoom() -> Bool {
    limit == 0 || Self.stackAddress() > limit
  }

  /// An address in the caller's frame.
  @inline(never)
  static func stackAddress() -> UInt {
    var marker: UInt8 = 0
    return withUnsafeMutablePointer(to: &marker) { UInt(bitPattern: $0) }
  }

  /// The lowest address of the current thread's stack and its size, when the platform says.
  private static func stackBounds() -> (low: UInt, size: Int)? {
    #if os(Linux)
      // glibc's pthread_getattr_np is a GNU extension the Glibc module does not import.
      typealias GetAttributes = @convention(c) (pthread_t, UnsafeMutablePointer<pthread_attr_t>) -> Int32
      guard let symbol = dlsym(UnsafeMutableRawPointer(bitPattern: 0), "pthread_getattr_np") else { return nil }
      let getAttributes = unsafeBitCast(symbol, to: GetAttributes.self)
      var attributes = pthread_attr_t()
      guard getAttributes(pthread_self(), &attributes) == 0 else { return nil }
      defer { pthread_attr_destroy(&attributes) }
      var base: UnsafeMutableRawPointer?
      var size = 0
      guard pthread_attr_getstack(&attributes, &base, &size) == 0, let base else { return nil }
      return (UInt(bitPattern: base), size)
    #elseif canImport(Darwin)
      let thread = pthread_self()
      let top = UInt(bitPattern: pthread_get_stackaddr_np(thread))
      let size = pthread_get_stacksize_np(thread)
      return (top - UInt(size), size)
    #else
      return nil
    #endif
  }
}
