-- v0008_run_uuids: a stable identity for every run and sweep, the same in every store it is copied to.
-- Once shipped, never edit this file: add a later vNNNN_*.sql instead.
--
-- Run ids are each store's own (AUTOINCREMENT), so a run copied to another store (`jvplab push`,
-- `jvplab pull`) gets another id there. `uuid` stays with it: a random version 4 UUID as 36 lowercase
-- characters ('0f8e2c1a-93b4-4c55-8d1e-2b7f9a6c3e10'), written by the writer with every new run (merged
-- pending runs included) and carried over unchanged by a copy, which skips a run whose uuid the target
-- already holds. `uuid:PREFIX` names a run by it on the command line. The unique index is the lookup and
-- the guarantee that no store holds a run twice; it is one more index page written per run.
--
-- Sweeps get one too, so that the points of one sweep copied separately meet in one sweep of the target.
--
-- Existing runs and sweeps get theirs here: 32 random hex digits from randomblob, the version digit 4
-- and the variant bits 10 (the digit 8, 9, a or b) set as RFC 9562 asks.
ALTER TABLE runs ADD COLUMN uuid TEXT;
UPDATE runs SET uuid = lower(
  hex(randomblob(4)) || '-' || hex(randomblob(2)) || '-4' || substr(hex(randomblob(2)), 2) || '-'
  || substr('89ab', 1 + (random() & 3), 1) || substr(hex(randomblob(2)), 2) || '-' || hex(randomblob(6)));
CREATE UNIQUE INDEX runs_uuid ON runs (uuid);

ALTER TABLE sweeps ADD COLUMN uuid TEXT;
UPDATE sweeps SET uuid = lower(
  hex(randomblob(4)) || '-' || hex(randomblob(2)) || '-4' || substr(hex(randomblob(2)), 2) || '-'
  || substr('89ab', 1 + (random() & 3), 1) || substr(hex(randomblob(2)), 2) || '-' || hex(randomblob(6)));
CREATE UNIQUE INDEX sweeps_uuid ON sweeps (uuid);
