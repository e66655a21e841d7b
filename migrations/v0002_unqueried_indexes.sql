-- v0002_unqueried_indexes: drops three indexes of v0001 that no query needs, to write fewer pages
-- per recorded run. Once shipped, never edit this file: add v0003_*.sql instead.
--
-- Every index is at least one more page written to the WAL by each run's transaction, and an
-- index whose keys are spread over the whole tree (a digest) is one page per row. Recording a
-- 4x4 jvp wrote about 24 pages, 6 of them for these three indexes.
--
-- - runs_numel_in, runs_numel_out: `numel.in` and `numel.out` are filters over a few distinct
--   sizes; the newest-first query walks `runs` by id and stops at its limit, and a full scan of
--   100,000 runs takes about 15 ms, as it does for kind, strategy, dtype and status.
-- - tensors_digest: no command looks tensors up by digest (diff compares the digests of two runs'
--   own tensors); a digest is random, so each of a run's tensors dirtied its own leaf page.
--   `--sql ... WHERE digest = ...` still works, by scanning tensors (about 30 ms for 400,000).

DROP INDEX runs_numel_in;
DROP INDEX runs_numel_out;
DROP INDEX tensors_digest;
