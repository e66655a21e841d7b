import Foundation

/// Whether operations on tensors that require grad are recorded on the tape (`torch.no_grad()` turns it off),
/// and which forward-AD dual level is open (`fwAD.dual_level()`).
///
/// Like PyTorch's grad mode it belongs to the thread, so scripts run side by side (tests do) do not see each
/// other's `no_grad` blocks.
public enum GradMode {
  private final class State {
    var isEnabled = true
    var dualLevel: Int?
    var levelsOpened = 0
    var origin: Int?
  }

  /// The thread's `State`, retained while the thread lives and released when it ends.
  ///
  /// A pthread key rather than `Thread.current.threadDictionary`: the dictionary's bridged string lookup cost
  /// about 4k instructions, and every statement and autodiff call reads the state.
  private static let key: pthread_key_t = {
    var key = pthread_key_t()
    let created = pthread_key_create(&key) { state in
      if let state { Unmanaged<State>.fromOpaque(state).release() }
    }
    precondition(created == 0, "pthread_key_create failed: \(created)")
    return key
  }()

  private static var state: State {
    if let stored = pthread_getspecific(key) { return Unmanaged<State>.fromOpaque(stored).takeUnretainedValue() }
    let state = State()
    pthread_setspecific(key, Unmanaged.passRetained(state).toOpaque())
    return state
  }

  public static var isEnabled: Bool {
    get { state.isEnabled }
    set { state.isEnabled = newValue }
  }

  /// An opaque tag the front end sets for the code running now (jvplab: the script's top-level statement);
  /// each tape node keeps it, so a reverse pass can name the code that built its graph.
  public static var origin: Int? {
    get { state.origin }
    set { state.origin = newValue }
  }

  /// The open dual level, nil outside every `dual_level()` block.
  public static var dualLevel: Int? { state.dualLevel }

  /// Runs `body` with grad mode set to `enabled`, restoring the previous mode afterwards.
  public static func with<T>(enabled: Bool, _ body: () throws -> T) rethrows -> T {
    let state = state
    let previous = state.isEnabled
    state.isEnabled = enabled
    defer { state.isEnabled = previous }
    return try body()
  }

  /// Opens a dual level; PyTorch allows one at a time.
  public static func enterDualLevel() throws -> Int {
    let state = state
    guard state.dualLevel == nil else {
      throw EngineError.autograd("Nested forward mode AD is not supported at the moment")
    }
    state.levelsOpened += 1
    state.dualLevel = state.levelsOpened
    return state.levelsOpened
  }

  /// Closes the open dual level: every tangent made in it is gone.
  public static func exitDualLevel() { state.dualLevel = nil }
}
