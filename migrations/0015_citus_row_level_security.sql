-- Row-level security on Citus, as on one PostgreSQL (migration 0010). 0010 left Citus out for two
-- reasons, both of which have answers (tried on Citus 13.2 with two workers):
--
-- * Citus connects to the workers as the current role, so a tenant session's narwhal_app must be
--   able to log in there. On Citus it is a LOGIN role with no password: the workers must accept
--   the coordinator's connections as it (trust on the cluster's private network, a certificate,
--   or a password in pg_dist_authinfo; docs/citus.md). Without a password it still cannot log in
--   anywhere that asks for one.
-- * A setting made with set_config() on the coordinator never reaches the workers, where the
--   shards' policies are checked. SET LOCAL does, once citus.propagate_set_commands is 'local',
--   SET LOCAL run inside a PL/pgSQL function included. So on Citus the tenant scope's function
--   sets the role, the tenant and the request's settings with SET LOCAL; a worker that never got
--   the tenant sees no rows (narwhal_current_tenant() is null there, and narwhal_app is not the
--   owner), so a missed propagation fails closed.
--
-- Citus propagates the role, the grants, the functions, row security and the policies to every
-- node and every shard, for the tables distributed now and for partitions created or attached
-- later. On plain PostgreSQL this migration does nothing.
do $$
declare
  part regclass;
begin
  if not exists (select 1 from pg_extension where extname = 'citus') then
    return;
  end if;

  if not exists (select 1 from pg_roles where rolname = 'narwhal_app') then
    create role narwhal_app login nosuperuser nobypassrls noinherit;
  else
    alter role narwhal_app login nosuperuser nobypassrls noinherit;
  end if;
  execute format('grant narwhal_app to %I', current_user);
  execute format('grant usage on schema %I to narwhal_app', current_schema());
  grant select, insert, update, delete on documents to narwhal_app;
  grant usage on sequence documents_id_seq to narwhal_app;

  -- SET LOCAL, not set_config: see above. The tenant first, so that no statement ever runs as
  -- narwhal_app without it.
  create or replace function narwhal_enter_tenant(tenant integer) returns void language plpgsql as $f$
  begin
    set local citus.propagate_set_commands = 'local';
    execute format('set local narwhal.tenant_id = %L', tenant);
    set local role narwhal_app;
  end
  $f$;

  -- The owner's policy as a function call: Citus 13.2 fails to create a policy whose expression
  -- holds IS NULL on a distributed table ("unrecognized node type: 117"); a function call works.
  create function narwhal_no_tenant() returns boolean language sql stable
    as $f$ select narwhal_current_tenant() is null $f$;

  create or replace function narwhal_secure_documents_table(target regclass) returns void language plpgsql as $f$
  begin
    execute format('alter table %s enable row level security', target);
    execute format('alter table %s force row level security', target);
    execute format('drop policy if exists tenant_isolation on %s', target);
    execute format('create policy tenant_isolation on %s for all to public '
      || 'using (tenant_id = narwhal_current_tenant()) with check (tenant_id = narwhal_current_tenant())', target);
    execute format('drop policy if exists owner_maintenance on %s', target);
    execute format('create policy owner_maintenance on %s for all to %I '
      || 'using (narwhal_no_tenant()) with check (narwhal_no_tenant())', target, current_user);
  end
  $f$;

  -- Migration 0012's function, with the request's settings (statement_timeout, hnsw.*) sent as
  -- SET LOCAL so that they reach the worker that runs the tenant's queries. Setting names come
  -- from the server, never from a request; the pattern keeps the spliced name a plain name.
  -- Every statement of a tenant's request names its tenant, so Citus routes it to the one worker
  -- holding that tenant; multi_task_query_log_level = error turns a statement that would fan out
  -- to every shard (a forgotten tenant filter, a plan Citus cannot route) into an error instead
  -- of a slow query across the cluster.
  create or replace function narwhal_open_tenant_scope(lock_namespace integer, tenant integer, settings text[])
  returns setof tenants language plpgsql volatile as $f$
  declare
    i integer;
  begin
    set local citus.propagate_set_commands = 'local';
    set local citus.multi_task_query_log_level = 'error';
    for i in 1 .. coalesce(array_length(settings, 1), 0) / 2 loop
      if settings[2 * i - 1] !~ '^[a-z_]+(\.[a-z_]+)?$' then
        raise exception 'not a setting name: %', settings[2 * i - 1];
      end if;
      execute format('set local %s = %L', settings[2 * i - 1], settings[2 * i]);
    end loop;
    perform pg_advisory_xact_lock_shared(lock_namespace, tenant);
    return query select * from tenants where id = tenant;
    perform narwhal_enter_tenant(tenant);
  end
  $f$;

  -- Migration 0013's LEAKPROOF marks, on the workers too: that is where the policies are checked
  -- and where the GIN indexes must stay usable under them. Only a superuser may; elsewhere the
  -- filters stay correct and scan the tenant's rows (as 0013 says).
  -- (A worker added later needs the same two statements: docs/citus.md.)
  if exists (
    select 1 from run_command_on_workers($c$alter function pg_catalog.jsonb_contains(jsonb, jsonb) leakproof$c$) where not success
    union all
    select 1 from run_command_on_workers($c$alter function pg_catalog.ts_match_vq(tsvector, tsquery) leakproof$c$) where not success
  ) then
    raise notice 'Not a superuser: metadata filters and ts_rank keyword search will scan the tenant''s rows on the workers';
  end if;

  perform narwhal_secure_documents_table('documents');
  for part in select relid from pg_partition_tree('documents') where relid <> 'documents'::regclass loop
    perform narwhal_secure_documents_table(part);
  end loop;
  for part in select to_regclass(format('%I', 'documents_t' || id)) from tenants where state = 'INACTIVE' loop
    if part is not null then
      perform narwhal_secure_documents_table(part);
    end if;
  end loop;
end
$$;
