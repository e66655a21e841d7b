import Foundation

#if canImport(Glibc)
  import Glibc
#elseif canImport(Darwin)
  import Darwin
#endif

/// What a path names when it is not a regular file, in words for an error message: reading a
/// FIFO blocks, a device or socket is not a file to parse, and Foundation calls all of them a
/// permission problem.
public enum FileKind {
  /// `"a FIFO (named pipe)"`, `"a socket"`, `"a character device"`, `"a block device"`,
  /// `"a directory"` or `"a symlink loop"`; nil for a regular file, or a path that does not exist.
  public static func special(atPath path: String) -> String? {
    var status = stat()
    guard stat(path, &status) == 0 else {
      return errno == ELOOP ? "a symlink loop (too many levels of symbolic links)" : nil
    }
    switch status.st_mode & S_IFMT {
    case S_IFIFO: return "a FIFO (named pipe)"
    case S_IFSOCK: return "a socket"
    case S_IFCHR: return "a character device"
    case S_IFBLK: return "a block device"
    case S_IFDIR: return "a directory"
    default: return nil
    }
  }
}
