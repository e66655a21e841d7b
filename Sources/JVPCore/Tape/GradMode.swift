/// Whether operations on tensors that require grad are recorded on the tape (`torch.no_grad()` turns it off),
/// and which forward-AD dual level is open (`fwAD.dual_level()`).
///
/// The interpreter runs a script on one thread, so this is plain process state, as PyTorch's thread-local
/// grad mode is for a single-threaded program.
public enum GradMode {
  nonisolated(unsafe) public static var isEnabled = true
  /// The open dual level, nil outside every `dual_level()` block.
  nonisolated(unsafe) public private(set) static var dualLevel: Int?
  nonisolated(unsafe) private static var levelsOpened = 0

  /// Runs `body` with grad mode set to `enabled`, restoring the previous mode afterwards.
  public static func with<T>(enabled: Bool, _ body: () throws -> T) rethrows -> T {
    let previous = isEnabled
    isEnabled = enabled
    defer { isEnabled = previous }
    return try body()
  }

  /// Opens a dual level; PyTorch allows one at a time.
  public static func enterDualLevel() throws -> Int {
    guard dualLevel == nil else {
      throw EngineError.autograd("Nested forward mode AD is not supported at the moment")
    }
    levelsOpened += 1
    dualLevel = levelsOpened
    return levelsOpened
  }

  /// Closes the open dual level: every tangent made in it is gone.
  public static func exitDualLevel() { dualLevel = nil }
}
