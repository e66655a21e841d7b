-- v0001_init: the first jvplab schema. Shipped: never edit this file, add v0002_*.sql instead.
--
-- Conventions:
-- - Times are UTC ISO-8601 text with milliseconds, '2026-11-27T10:00:00.123Z', so that text
--   comparison is time order and `--sql` shows them readably.
-- - Index paths and shapes are JSON arrays of integers: '[0]', '[0,1]', '[4,4]', '[]' (0-d).
-- - Tensor data is the flat row-major elements as a little-endian BLOB (float32: 4 bytes each,
--   float64 and int64: 8 bytes each).
-- - SQLite stores a REAL NaN as NULL: a NULL error or statistic that the writer always fills is NaN.

-- One row per recorded autodiff call.
CREATE TABLE runs (
  id INTEGER PRIMARY KEY AUTOINCREMENT,  -- AUTOINCREMENT: an id a user has seen is never reused
  name TEXT,                             -- --name
  kind TEXT NOT NULL,                    -- jvp, vjp, jacobian, hessian, hvp, vhp
  fn TEXT,                               -- the differentiated function's name
  source TEXT,                           -- its full source, for replay
  strategy TEXT,                         -- reverse-mode, forward-mode, auto
  vectorize INTEGER NOT NULL DEFAULT 0 CHECK (vectorize IN (0, 1)),
  dtype TEXT,                            -- float32, float64
  seed INTEGER,                          -- the last manual_seed before the call
  rng_offset INTEGER,                    -- 32-bit draws since that seed when the first input was drawn
  status TEXT NOT NULL,                  -- ok, failed
  error TEXT,                            -- the failure's message when status = 'failed'
  script TEXT,                           -- script path as given on the command line
  script_sha256 TEXT,                    -- hex digest of the script file when it ran
  line INTEGER,                          -- script line of the call
  parent_id INTEGER REFERENCES runs (id) ON DELETE SET NULL,  -- the run this one replays
  started TEXT NOT NULL,
  finished TEXT,
  host TEXT,
  os TEXT,
  jvplab_version TEXT,
  command_line TEXT,
  numel_in INTEGER NOT NULL DEFAULT 0,   -- elements of all 'input' tensors, for `numel.in`
  numel_out INTEGER NOT NULL DEFAULT 0   -- elements of all 'output' tensors, for `numel.out`
);
-- Indexes for the query fields, chosen for the recording budget (each index is one more page
-- written per run): none on the few-valued kind, strategy, dtype and status, where scanning runs
-- is as fast; partial (NOT NULL) ones on optional columns, so runs without a value cost nothing.
-- `name = x`, `seed > 3` and the like imply NOT NULL, so the planner uses them.
CREATE INDEX runs_name ON runs (name) WHERE name IS NOT NULL;
CREATE INDEX runs_fn ON runs (fn);
CREATE INDEX runs_seed ON runs (seed) WHERE seed IS NOT NULL;
CREATE INDEX runs_script ON runs (script) WHERE script IS NOT NULL;
CREATE INDEX runs_started ON runs (started);
CREATE INDEX runs_numel_in ON runs (numel_in);
CREATE INDEX runs_numel_out ON runs (numel_out);
CREATE INDEX runs_parent ON runs (parent_id) WHERE parent_id IS NOT NULL;

-- The inputs, tangents and results of a run, in the order they were recorded (by id).
CREATE TABLE tensors (
  id INTEGER PRIMARY KEY,
  run_id INTEGER NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
  role TEXT NOT NULL,       -- input, tangent, cotangent, output, jvp, vjp, jacobian, hessian, hvp, vhp
  idx TEXT NOT NULL,        -- position in the returned nesting, JSON: '[0]', '[1,0]'
  name TEXT,                -- the argument name for inputs
  dtype TEXT NOT NULL,      -- float32, float64, int64
  shape TEXT NOT NULL,      -- JSON: '[4,4]'
  numel INTEGER NOT NULL,
  digest TEXT NOT NULL,     -- 16 hex digits of FNV-1a 64 over dtype, shape and data: equal tensors, equal digests
  data BLOB,                -- NULL when numel was over the store's limit: only digest and statistics remain
  min REAL,                 -- statistics over the finite elements; NULL when there are none
  max REAL,
  mean REAL,
  nan_count INTEGER NOT NULL,
  inf_count INTEGER NOT NULL
);
CREATE INDEX tensors_run ON tensors (run_id);
CREATE INDEX tensors_digest ON tensors (digest);

-- Every timed sample of each phase of a run ('jvp', 'vjp', ...), with its order statistics.
CREATE TABLE timings (
  id INTEGER PRIMARY KEY,
  run_id INTEGER NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
  phase TEXT NOT NULL,
  samples BLOB NOT NULL,    -- seconds, little-endian float64, in the order they were taken
  n INTEGER NOT NULL,
  min_s REAL,               -- NULL when n = 0
  median_s REAL,
  max_s REAL,
  UNIQUE (run_id, phase)
);
CREATE INDEX timings_phase_median ON timings (phase, median_s);

-- Numerical checks of a run's results (finite differences, a reference implementation, ...).
CREATE TABLE checks (
  id INTEGER PRIMARY KEY,
  run_id INTEGER NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
  name TEXT NOT NULL,
  max_abs REAL,             -- NULL: NaN
  max_rel REAL,             -- NULL: NaN
  ok INTEGER NOT NULL CHECK (ok IN (0, 1)),
  UNIQUE (run_id, name)
);
CREATE INDEX checks_name_max_abs ON checks (name, max_abs);

-- --tag KEY=VALUE
CREATE TABLE tags (
  run_id INTEGER NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
  key TEXT NOT NULL,
  value TEXT NOT NULL,
  PRIMARY KEY (run_id, key)
) WITHOUT ROWID;
CREATE INDEX tags_key_value ON tags (key, value);
