-- Entering a tenant's scope in one round trip. Every tenant request's transaction used to start
-- with four statements (request settings, the tenant's shared lock, a re-read of its placement,
-- the switch to narwhal_app), each a round trip; on the embedded engine a round trip costs about
-- as much as an HNSW search. This function runs them in order inside one statement.
--
-- It must stay VOLATILE: a volatile PL/pgSQL function takes a new snapshot for each statement,
-- so the re-read after the lock sees a placement committed by a mover the lock waited for. (In
-- one plain SQL statement the snapshot would predate the wait and could see the old placement.)
--
-- settings: name/value pairs applied transaction-locally first (statement_timeout must cover the
-- lock wait; hnsw.* for the search that follows). On Citus the hnsw settings are sent as SET
-- LOCAL instead, which is what Citus forwards to workers, and narwhal_enter_tenant only records
-- the tenant (migration 0010).
create function narwhal_open_tenant_scope(lock_namespace integer, tenant integer, settings text[])
returns setof tenants language plpgsql volatile as $$
declare
  i integer;
begin
  for i in 1 .. coalesce(array_length(settings, 1), 0) / 2 loop
    perform set_config(settings[2 * i - 1], settings[2 * i], true);
  end loop;
  perform pg_advisory_xact_lock_shared(lock_namespace, tenant);
  return query select * from tenants where id = tenant;
  -- Last: narwhal_app may not read tenants.
  perform narwhal_enter_tenant(tenant);
end
$$;
