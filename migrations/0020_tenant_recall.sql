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
--
-- The pattern of 0018: one DO block, each column added bare and its check added apart, named:
-- Citus refuses ADD COLUMN with an inline constraint on an already distributed (reference) table.
do $$
begin
  alter table tenants add column recall_target double precision;
  alter table tenants add constraint tenants_recall_target_check check (recall_target is null or recall_target between 0.5 and 0.999);
  alter table tenants add column recall_estimate double precision;
  alter table tenants add constraint tenants_recall_estimate_check check (recall_estimate is null or recall_estimate between 0 and 1);
  alter table tenants add column recall_samples integer not null default 0;
  alter table tenants add constraint tenants_recall_samples_check check (recall_samples >= 0);
  alter table tenants add column recall_ef_search integer;
  alter table tenants add column recall_updated_at timestamptz;
  alter table tenants add column recall_adjustment jsonb;
end
$$;
