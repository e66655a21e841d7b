-- v0007_lifecycle_and_sweeps: notes, soft deletion and sweeps. Once shipped, never edit this file:
-- add a later vNNNN_*.sql instead. (v0006 is another branch's; the two touch different tables.)
--
-- Lifecycle: `jvplab note` sets runs.note; `jvplab rm` sets runs.deleted to the time of removal, which
-- hides the run from `query` until `jvplab restore` clears it; `jvplab gc` deletes such runs for good
-- (their tensors, timings, checks, tags and grid values go by ON DELETE CASCADE) and then the
-- tensor_data rows no tensor points at any more, found through tensors_data.
--
-- Sweeps: `jvplab sweep` records one sweeps row and one run per point of its grid; each run carries
-- the sweep's id, the point's position in the grid (0-based, in the order the grid expands) and its
-- grid values, one `grid` row per variable, so `sweep = 7 and grid.N >= 512` selects runs.
--
-- Every new column is NULL for older runs, so the ALTERs rewrite nothing. The partial indexes cost
-- nothing for runs that carry no value: recording a plain run writes no page more than before.
ALTER TABLE runs ADD COLUMN note TEXT;                 -- `jvplab note RUN "text"`; NULL: none
ALTER TABLE runs ADD COLUMN deleted TEXT;              -- when `jvplab rm` removed it; NULL: a live run
CREATE INDEX runs_deleted ON runs (deleted) WHERE deleted IS NOT NULL;

-- Shared data no tensor points at once runs are deleted: gc looks it up by data_id.
CREATE INDEX tensors_data ON tensors (data_id) WHERE data_id IS NOT NULL;

-- One row per `jvplab sweep`.
CREATE TABLE sweeps (
  id INTEGER PRIMARY KEY AUTOINCREMENT,  -- never reused, as run ids
  name TEXT,                             -- --name
  spec TEXT NOT NULL,                    -- JSON: the function or script, options and grid, for --resume
  points INTEGER NOT NULL,               -- points in the grid
  status TEXT NOT NULL,                  -- running, interrupted, failed, done
  partial_point INTEGER,                 -- the point a script sweep was in when interrupted: --resume runs it again
  started TEXT NOT NULL,
  finished TEXT                          -- when the last point ended or it was interrupted
);

ALTER TABLE runs ADD COLUMN sweep_id INTEGER REFERENCES sweeps (id);  -- the sweep the run is a point of
ALTER TABLE runs ADD COLUMN sweep_point INTEGER;                      -- the point's position in that grid
CREATE INDEX runs_sweep ON runs (sweep_id, sweep_point) WHERE sweep_id IS NOT NULL;

-- The grid values of a sweep's run: `grid.N` in queries (numeric comparisons where the value is a number).
CREATE TABLE grid (
  run_id INTEGER NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
  key TEXT NOT NULL,
  value TEXT NOT NULL,
  PRIMARY KEY (run_id, key)
) WITHOUT ROWID;
CREATE INDEX grid_key_value ON grid (key, value);
