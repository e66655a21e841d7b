-- v0005_merged_pending: which pending files have been merged, so that no run is merged twice.
-- Once shipped, never edit this file: add v0006_*.sql instead.
--
-- A run that could not be recorded because another process held the database past --lock-wait is
-- saved in a pending file beside the database, named by a random id. The next command that opens
-- the database merges every pending file in one transaction and adds a row here per file, in the
-- same transaction. Two commands that race to merge serialize on the write lock; the second finds
-- the ids already here and only deletes the files. A process killed between the commit and the
-- deletion leaves files whose ids are here: the next merge deletes them too.
CREATE TABLE merged_pending (
  pending_id TEXT NOT NULL PRIMARY KEY,  -- the id in the pending file's name and contents
  run_id INTEGER NOT NULL REFERENCES runs (id) ON DELETE CASCADE
) WITHOUT ROWID;
