-- v0006_func_transforms: torch.func runs. Once shipped, never edit this file: add v0007_*.sql instead.
--
-- A run of a torch.func transform has the outermost transform as its kind (grad, grad_and_value, vjp,
-- jvp, linearize, jacrev, jacfwd, hessian, vmap) and the composition as the user wrote it in `transform`
-- (`vmap(jacrev(predict, argnums=2), in_dims=(None, None, 0))`); other runs leave it NULL. A call of the
-- `vjp_fn` or `jvp_fn` a vjp or linearize run returned is a run of its own whose `made_by` is that run.
ALTER TABLE runs ADD COLUMN transform TEXT;
ALTER TABLE runs ADD COLUMN made_by INTEGER REFERENCES runs (id) ON DELETE SET NULL;
CREATE INDEX runs_transform ON runs (transform) WHERE transform IS NOT NULL;
-- Deleting a run (jvplab gc) looks up the runs it made through this foreign key: without the index, every
-- deleted run scanned the whole table.
CREATE INDEX runs_made_by ON runs (made_by) WHERE made_by IS NOT NULL;
