/// A store runs can be copied out of and into, whole runs in batches: what `jvplab push` and `jvplab pull`
/// need of each side. `RunStore` (SQLite) implements it; a server store implements it the same way.
///
/// Runs are named by UUID, never by id, since ids are each store's own. Every method reports failures as
/// `StoreError`s naming the store; `.locked` means another writer held the target past its busy timeout
/// and the call may be retried.
public protocol RunTransferStore: Sendable {
  /// The store as messages name it: a path, or a URL without its password.
  var location: String { get }

  /// The runs `query` selects (its filter and scope; its sort and limit apply as in `jvplab query`), in its order.
  func transferEntries(matching query: RunQuery) throws(StoreError) -> [TransferEntry]

  /// Which of `uuids` the store holds runs for.
  func presentUUIDs(_ uuids: [String]) throws(StoreError) -> Set<String>

  /// The runs with `uuids`, whole, in that order, read in one transaction; a UUID the store holds no
  /// run for is left out.
  func bundles(uuids: [String]) throws(StoreError) -> [RunBundle]

  /// Inserts the runs, in order, each in a transaction of its own, and says for each whether it was
  /// inserted or the store held its UUID already (idempotent: a copy interrupted and run again stores each
  /// run once). Each run is whole or absent; when one fails, the runs before it stay committed.
  ///
  /// The parent, maker and sweep are looked up by UUID (among the store's runs and the batch's earlier
  /// ones): a parent or maker the store lacks leaves the link empty; a sweep it lacks is created with the
  /// bundle's sweep row (status included), one it has is kept as it is.
  func insert(_ bundles: [RunBundle]) throws(StoreError) -> [TransferInsert]
}

extension RunTransferStore {
  /// The run with `uuid`, whole; nil when the store holds none.
  public func bundle(uuid: String) throws(StoreError) -> RunBundle? { try bundles(uuids: [uuid]).first }

  /// Inserts one run (see `insert(_:)` for several).
  public func insert(_ bundle: RunBundle) throws(StoreError) -> TransferInsert {
    guard let result = try insert([bundle]).first else { throw StoreError(.sqlite, "\(location) inserted no run") }
    return result
  }
}
