-- v0003_functions: the script functions a run's function called, so that replay can define them
-- again. Once shipped, never edit this file: add v0004_*.sql instead.
--
-- A run stores its function's own source (runs.source) and the tensors and numbers it read from the
-- script's globals (tensors with roles 'global' and 'global_number'). A function that calls another
-- function of the script needs that one's source too: one row per such function, under the name the
-- script bound it to. Runs that call none write no row, so recording a run costs no page more; rows
-- are only read by run, through the key.
CREATE TABLE functions (
  run_id INTEGER NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
  name TEXT NOT NULL,       -- the global name the run's function called it by
  source TEXT NOT NULL,     -- its full source: 'def f(x): ...' or 'lambda x: ...'
  PRIMARY KEY (run_id, name)
) WITHOUT ROWID;
