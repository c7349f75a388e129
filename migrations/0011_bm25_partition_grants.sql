-- BM25 keyword search under row-level security. pg_textsearch scores a row against the bm25 index
-- of the partition holding it (to_bm25query names that index), and checks that the caller may
-- read the indexed column of that partition, not of documents: a tenant session (narwhal_app,
-- migration 0010) was refused with "permission denied for column content". So narwhal_app may
-- read `content` on each partition where pg_textsearch is installed. Only that column, and every
-- partition carries documents' row-level security, so a tenant session reading a partition
-- directly still sees only its own tenant's rows. Partitions made later get the grant from
-- narwhal_secure_documents_table, redefined here. Nothing changes on Citus (no RLS there).
do $$
declare
  part regclass;
begin
  if exists (select 1 from pg_extension where extname = 'citus') then
    return;
  end if;

  create or replace function narwhal_secure_documents_table(target regclass) returns void language plpgsql as $f$
  begin
    execute format('alter table %s enable row level security', target);
    execute format('alter table %s force row level security', target);
    execute format('drop policy if exists tenant_isolation on %s', target);
    execute format('create policy tenant_isolation on %s for all to public '
      || 'using (tenant_id = narwhal_current_tenant()) with check (tenant_id = narwhal_current_tenant())', target);
    execute format('drop policy if exists owner_maintenance on %s', target);
    execute format('create policy owner_maintenance on %s for all to %I '
      || 'using (narwhal_current_tenant() is null) with check (narwhal_current_tenant() is null)', target, current_user);
    if target <> 'documents'::regclass and exists (select 1 from pg_extension where extname = 'pg_textsearch') then
      execute format('grant select (content) on %s to narwhal_app', target);
    end if;
  end
  $f$;

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
