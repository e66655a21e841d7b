import Foundation
import JVPStore

/// Which database a command uses: `--db`, else `$JVPLAB_DB`, else `./jvplab.db`.
public enum DatabaseLocation {
  public static func resolve(_ option: String?, environment: [String: String] = ProcessInfo.processInfo.environment) -> String {
    if let option, !option.isEmpty { return option }
    if let variable = environment["JVPLAB_DB"], !variable.isEmpty { return variable }
    return "jvplab.db"
  }

  /// Opens the store, turning its errors into usage failures that name the path.
  static func open(_ path: String, mode: RunStore.AccessMode, storeLimit: Int? = nil) throws -> RunStore {
    do {
      var options = RunStore.Options()
      if let storeLimit { options.maxStoredElements = storeLimit }
      return try RunStore.open(path: path, mode: mode, options: options)
    } catch {
      throw LabFailure(error.message)
    }
  }
}
