-- v0004_shared_tensor_data: large tensor data stored once, however many runs record it. Once
-- shipped, never edit this file: add v0005_*.sql instead.
--
-- Runs with the same seed record the same inputs and, being deterministic, the same outputs and
-- results: a 2048x2048 float32 jvp repeated wrote the same 16 MiB input again in every run. Data of
-- 64 KiB or more now goes to tensor_data, one row per distinct content (same digest and same bytes:
-- the writer compares the bytes, the 64-bit digest is only the lookup key), and the tensor row
-- points at it through data_id with its own data NULL. Smaller data stays in its row, where it costs
-- no index lookup. Rows written before this migration keep their data where it is.
--
-- Reading a tensor's data: COALESCE(tensors.data, tensor_data.data) through
-- LEFT JOIN tensor_data ON tensor_data.id = tensors.data_id. Deleting runs (jvplab never does) leaves
-- their shared data in tensor_data for the other runs that may hold it.
CREATE TABLE tensor_data (
  id INTEGER PRIMARY KEY,
  digest TEXT NOT NULL,     -- tensors.digest of the data
  data BLOB NOT NULL
);
CREATE INDEX tensor_data_digest ON tensor_data (digest);

ALTER TABLE tensors ADD COLUMN data_id INTEGER REFERENCES tensor_data (id);
