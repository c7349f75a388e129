-- Document expiry. A document may carry expires_at (given with it, or now() + the tenant's
-- document_ttl_seconds when the tenant has one); from that moment every read leaves it out
-- (the queries filter on it, src/documents/document-expiry.sql.ts), and a background purge
-- deletes expired rows in small batches (src/tenants/retention-purge.ts). Null: never expires.
--
-- One DO block: Citus propagates some DDL to the workers as the statement's query text, and the
-- text of a multi-statement migration is all of it, which a worker refuses ("cannot insert
-- multiple commands into a prepared statement"); inside PL/pgSQL each statement is its own text.
do $$
declare
  tenant record;
begin
  -- On a database Citus has already distributed, one transaction touches the reference table
  -- tenants and the distributed documents, which a foreign key links: Citus refuses parallel
  -- shard access next to the reference table's unless it works one connection per worker.
  -- (On a fresh database the migrations run before anything is distributed.)
  if exists (select 1 from pg_extension where extname = 'citus') then
    set local citus.multi_shard_modify_mode = 'sequential';
  end if;

  -- Column and check apart, the check named: Citus refuses ADD COLUMN with an inline
  -- constraint on a distributed or reference table (its constraints need explicit names).
  alter table tenants add column document_ttl_seconds integer;
  alter table tenants add constraint tenants_document_ttl_seconds_check
    check (document_ttl_seconds is null or document_ttl_seconds between 1 and 315360000);

  -- A nullable column without a default is a catalog change only (no table rewrite). It
  -- recurses to every attached partition, and on Citus to every shard.
  alter table documents add column expires_at timestamptz;

  -- An INACTIVE tenant's rows sit in a detached table (migration 0006) that ALTER on the parent
  -- does not reach: give it the column too, or reattaching it would fail on the mismatch.
  for tenant in select id from tenants where state = 'INACTIVE' loop
    if to_regclass(format('documents_t%s', tenant.id)) is not null then
      execute format('alter table %I add column if not exists expires_at timestamptz', 'documents_t' || tenant.id);
    end if;
  end loop;

  -- The purge's way in: per tenant, the rows that have an expiry, soonest first. Partial, so
  -- tenants that never set expiry pay nothing for it; tenant_id leads, as on every btree here.
  create index documents_expires_at_idx on documents (tenant_id, expires_at) where expires_at is not null;
end
$$;
