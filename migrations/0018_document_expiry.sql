-- Document expiry. A document may carry expires_at (given with it, or now() + the tenant's
-- document_ttl_seconds when the tenant has one); from that moment every read leaves it out
-- (the queries filter on it, src/documents/document-expiry.sql.ts), and a background purge
-- deletes expired rows in small batches (src/tenants/expiry-purge.ts). Null: never expires.
-- On a database Citus has already distributed, this transaction touches the reference table
-- tenants and the distributed documents, which have a foreign key between them: Citus refuses
-- parallel shard access after (or before) the reference table's in one transaction unless it
-- works one connection per worker. (The migrations run before distribution on a fresh database.)
do $$
begin
  if exists (select 1 from pg_extension where extname = 'citus') then
    set local citus.multi_shard_modify_mode = 'sequential';
  end if;
end
$$;

alter table tenants
  add column document_ttl_seconds integer
    check (document_ttl_seconds is null or document_ttl_seconds between 1 and 315360000);

-- Adding a nullable column without a default is a catalog change only (no table rewrite). It
-- recurses to every attached partition, and on Citus to every shard of the distributed table.
alter table documents add column expires_at timestamptz;

-- An INACTIVE tenant's rows sit in a detached table (migration 0006) that ALTER on the parent
-- does not reach: give it the column too, or reattaching it would fail on the column mismatch.
do $$
declare
  tenant record;
begin
  for tenant in select id from tenants where state = 'INACTIVE' loop
    if to_regclass(format('documents_t%s', tenant.id)) is not null then
      execute format('alter table %I add column if not exists expires_at timestamptz', 'documents_t' || tenant.id);
    end if;
  end loop;
end
$$;

-- The purge's way in: per tenant, the rows that have an expiry, oldest first. Partial, so
-- tenants that never set expiry pay nothing for it; tenant_id leads, as on every btree here.
create index documents_expires_at_idx on documents (tenant_id, expires_at) where expires_at is not null;
