-- Tiered tenancy. A partition and an HNSW index per tenant is right for big tenants, but
-- thousands of tiny ones would bloat the catalog and planning for no gain: an exact scan of a
-- few hundred rows is fast and has perfect recall. So tenants now start SHARED: their rows go
-- to shard 0, one partition hash-bucketed by tenant into :SHARED_BUCKETS tables, searched
-- exactly through the (tenant_id, ...) btrees. Big tenants are promoted to a DEDICATED
-- partition with its own HNSW index. Tenants created before this migration already have their
-- partitions: they are DEDICATED. An INACTIVE tenant's rows sit in a detached table, which the
-- planner never sees; DELETED tenants leave a row behind so admins can see what happened.
alter table tenants
  add column placement text not null default 'DEDICATED' check (placement in ('SHARED', 'DEDICATED')),
  add column state text not null default 'ACTIVE' check (state in ('ACTIVE', 'INACTIVE', 'DELETED')),
  add column deleted_at timestamptz;
alter table tenants alter column placement set default 'SHARED';

do $$
begin
  -- Citus distributes partitioned tables but not multi-level ones: there shard 0 stays one
  -- table and Citus's own hash shards (by tenant_id) do the bucketing.
  if exists (select 1 from pg_extension where extname = 'citus') then
    create table documents_shared partition of documents for values in (0);
  else
    create table documents_shared partition of documents for values in (0) partition by hash (tenant_id);
    for bucket in 0 .. :SHARED_BUCKETS - 1 loop
      execute format(
        'create table %I partition of documents_shared for values with (modulus %s, remainder %s)',
        'documents_shared_b' || bucket, :SHARED_BUCKETS, bucket);
    end loop;
  end if;
end
$$;
