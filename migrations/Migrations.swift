/// The SQL migrations of the jvplab store, embedded into the binary in order.
///
/// Each `vNNNN_name.sql` file in this folder is one migration; files are never edited once shipped.
public enum Migrations {}
