-- Recall held per tenant (issue 21, item 5). A DEDICATED tenant's searches walk its HNSW graph
-- with the tenant's ef_search, and how much that walk misses depends on the tenant's data: the
-- server samples a share of real searches, re-runs them exactly in the background and keeps a
-- rolling recall@k estimate here, in the database (so every server process and every restart
-- sees the same one). With recall_target set, the server moves ef_search to hold the target and
-- records the last move in recall_adjustment ({at, from, to, reason}).
--
-- Columns of tenants rather than a table of their own: on Citus tenants is a reference table,
-- which an ALTER reaches on every node, and a new table referencing it would need a distribution
-- decision of its own for one row per tenant. The estimate is an average of the samples taken
-- since ef_search last changed (recall_ef_search records which ef_search it is about; a sample
-- taken under another is dropped), then an exponential moving average of the last ~50
-- (src/search/recall-estimate.ts).
alter table tenants
  add column recall_target double precision check (recall_target is null or recall_target between 0.5 and 0.999),
  add column recall_estimate double precision check (recall_estimate is null or recall_estimate between 0 and 1),
  add column recall_samples integer not null default 0 check (recall_samples >= 0),
  add column recall_ef_search integer,
  add column recall_updated_at timestamptz,
  add column recall_adjustment jsonb;
