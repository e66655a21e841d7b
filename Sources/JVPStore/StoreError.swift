import Foundation

/// A failure of the store, with a message fit to show a user as is.
///
/// Messages name the database path and what is wrong with it, so the command line can print
/// them as one line and exit with its usage/input error code; `code` lets callers and tests tell
/// the cases apart without parsing text.
public struct StoreError: Error, Equatable, Sendable, CustomStringConvertible, LocalizedError {
  /// What went wrong, coarsely.
  public enum Code: String, Sendable {
    /// A read-only open of a path where no database exists.
    case missingDatabase
    /// The path cannot be created, read or written: a missing or read-only directory or file.
    case inaccessible
    /// The file exists but is not an SQLite database.
    case notSQLite
    /// An SQLite database that jvplab did not create.
    case notJVPLab
    /// Written by a newer jvplab whose schema this build does not know.
    case newerSchema
    /// An older schema that a read-only open cannot upgrade.
    case olderSchema
    /// SQLite reports the file as corrupt, or a row holds a value jvplab never writes.
    case damaged
    /// A write through a store opened read-only.
    case readOnly
    /// Another connection held the write lock for longer than the busy timeout.
    case locked
    /// A run reference that names no run.
    case noSuchRun
    /// A string that is not a run reference at all.
    case badReference
    /// A value handed to the store is inconsistent (a tensor whose bytes do not fill its shape, ...).
    case invalidInput
    /// Raw SQL that is not a single read-only statement, or that SQLite rejects.
    case badSQL
    /// A PostgreSQL server that refused the connection or went away during a command.
    case serverGone
    /// Any other SQLite failure (disk full, I/O error, ...).
    case sqlite
  }

  public let code: Code
  public let message: String

  public init(_ code: Code, _ message: String) {
    self.code = code
    self.message = message
  }

  public var description: String { message }
  public var errorDescription: String? { message }
}
