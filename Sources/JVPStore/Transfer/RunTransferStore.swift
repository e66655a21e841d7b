/// A store runs can be copied out of and into, one whole run at a time: what `jvplab push` and `jvplab pull`
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

  /// The run with `uuid`, whole; nil when the store holds none.
  func bundle(uuid: String) throws(StoreError) -> RunBundle?

  /// Inserts the run in ONE transaction, or leaves the store as it was when it holds the UUID already
  /// (idempotent: a copy interrupted and run again stores each run once).
  ///
  /// The parent, maker and sweep are looked up by UUID: a parent or maker the store lacks leaves the link
  /// empty; a sweep it lacks is created with the bundle's sweep row (status included), one it has is kept
  /// as it is.
  func insert(_ bundle: RunBundle) throws(StoreError) -> TransferInsert
}
