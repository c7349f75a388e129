-- Row-level security on documents: defence in depth under the explicit tenant filter (tenant_id
-- and shard) every query already carries, so a query that forgets it still cannot read or write
-- another tenant's rows. Every tenant request's transaction calls narwhal_enter_tenant (from
-- withTenantScope), which switches to the role narwhal_app and records the tenant in the setting
-- narwhal.tenant_id, both transaction-locally. narwhal_app is not the owner, not a superuser and
-- has no BYPASSRLS, so the policies bind it; it is granted the parent table only, never a
-- partition, so it reaches rows only through `documents`, where the parent's policies apply.
--
-- FORCE holds the owner to the policies as well (a superuser, as in the embedded engine, is
-- never held). The owner keeps full access only while no tenant is set: maintenance (promotion,
-- demotion, deletion, admin counts) runs as the owner without one; once a tenant is set, even the
-- owner sees that tenant only. Partitions get the same policies, for any role that might one day
-- be granted them directly; the server secures every partition it creates the same way.
--
-- On Citus none of this is set up: Citus connects to its workers as the current role, which
-- cannot be a NOLOGIN role, and a transaction-local setting made on the coordinator never reaches
-- the workers. There narwhal_enter_tenant only records the tenant, and securing a table does nothing.

-- The tenant the current transaction works for; null when none is set (the setting reads '' once
-- a transaction that set it has ended, hence nullif).
create function narwhal_current_tenant() returns integer language sql stable
  as $$ select nullif(current_setting('narwhal.tenant_id', true), '')::integer $$;

do $$
declare
  part regclass;
begin
  if exists (select 1 from pg_extension where extname = 'citus') then
    create function narwhal_enter_tenant(tenant integer) returns void language plpgsql as $f$
    begin
      perform set_config('narwhal.tenant_id', tenant::text, true);
    end
    $f$;
    create function narwhal_secure_documents_table(target regclass) returns void language plpgsql as $f$
    begin
      null;
    end
    $f$;
    return;
  end if;

  -- Roles belong to the whole cluster: another Narwhal database on this server may have made it.
  if not exists (select 1 from pg_roles where rolname = 'narwhal_app') then
    create role narwhal_app nologin nosuperuser nobypassrls noinherit;
  end if;
  -- The connecting role switches to narwhal_app, so it must be a member (a superuser always may).
  execute format('grant narwhal_app to %I', current_user);
  execute format('grant usage on schema %I to narwhal_app', current_schema());
  grant select, insert, update, delete on documents to narwhal_app;
  grant usage on sequence documents_id_seq to narwhal_app;

  create function narwhal_enter_tenant(tenant integer) returns void language plpgsql as $f$
  begin
    perform set_config('role', 'narwhal_app', true);
    perform set_config('narwhal.tenant_id', tenant::text, true);
  end
  $f$;

  -- Idempotent, so it can secure a table whatever it went through; runs as the tables' owner.
  create function narwhal_secure_documents_table(target regclass) returns void language plpgsql as $f$
  begin
    execute format('alter table %s enable row level security', target);
    execute format('alter table %s force row level security', target);
    execute format('drop policy if exists tenant_isolation on %s', target);
    execute format('create policy tenant_isolation on %s for all to public '
      || 'using (tenant_id = narwhal_current_tenant()) with check (tenant_id = narwhal_current_tenant())', target);
    execute format('drop policy if exists owner_maintenance on %s', target);
    execute format('create policy owner_maintenance on %s for all to %I '
      || 'using (narwhal_current_tenant() is null) with check (narwhal_current_tenant() is null)', target, current_user);
  end
  $f$;

  perform narwhal_secure_documents_table('documents');
  for part in select relid from pg_partition_tree('documents') where relid <> 'documents'::regclass loop
    perform narwhal_secure_documents_table(part);
  end loop;
  -- INACTIVE tenants' rows sit in detached tables that will be attached again.
  for part in select to_regclass(format('%I', 'documents_t' || id)) from tenants where state = 'INACTIVE' loop
    if part is not null then
      perform narwhal_secure_documents_table(part);
    end if;
  end loop;
end
$$;
