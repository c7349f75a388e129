-- Usage per tenant and day: searches, writes (documents written or deleted) and embedding
-- tokens. The server counts in memory and adds its counts here every few seconds and on
-- graceful shutdown (src/tenants/usage-recorder.ts): a crash loses the last few seconds. Rows
-- older than 30 days are deleted by the background job. On Citus the table is distributed by
-- tenant_id, colocated with documents, so a tenant's usage lives with its documents and moves
-- with them: at startup (src/db/citus.ts) on a fresh database, here on one already distributed.
create table tenant_usage_daily (
  tenant_id integer not null,
  day date not null,
  searches bigint not null default 0,
  writes bigint not null default 0,
  embedding_tokens bigint not null default 0,
  primary key (tenant_id, day)
);

-- One DO block for what Citus propagates (see migration 0018 for why).
do $$
begin
  -- Nested: pg_dist_partition exists only where citus does (an expression is planned when
  -- reached). tenants is a reference table by now: a local table's foreign key to it would make
  -- Citus convert this table on its own; distribute it first, then add the key (distributed ->
  -- reference is supported).
  if exists (select 1 from pg_extension where extname = 'citus') then
    set local citus.multi_shard_modify_mode = 'sequential';
    if exists (select 1 from pg_dist_partition where logicalrelid = 'documents'::regclass and partmethod = 'h') then
      perform create_distributed_table('tenant_usage_daily', 'tenant_id', colocate_with => 'documents');
    end if;
  end if;
  alter table tenant_usage_daily
    add constraint tenant_usage_daily_tenant_id_fkey foreign key (tenant_id) references tenants (id) on delete cascade;
end
$$;
