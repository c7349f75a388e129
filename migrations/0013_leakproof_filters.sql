-- Row-level security (0010) makes the planner evaluate the tenant policy before any condition
-- whose operator is not LEAKPROOF, so such a condition can no longer be an index condition: a
-- metadata filter (jsonb @>, served by documents_metadata_idx) and a ts_rank keyword match
-- (tsvector @@ tsquery, served by documents_content_tsv_idx) fell back to scanning the tenant's
-- whole table. Both functions raise no error that depends on the values they compare, so they
-- cannot leak another tenant's rows through an error message; marking them LEAKPROOF gives the
-- indexes back. Only a superuser may do this: elsewhere the migration says so and goes on, and
-- filters stay correct, only slower (README, Production).
do $$
begin
  alter function pg_catalog.jsonb_contains(jsonb, jsonb) leakproof;
  alter function pg_catalog.ts_match_vq(tsvector, tsquery) leakproof;
exception when insufficient_privilege then
  raise notice 'Not a superuser: metadata filters and ts_rank keyword search will scan the tenant''s rows instead of using their GIN indexes under row-level security';
end
$$;
