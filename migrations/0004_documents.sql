-- Documents, partitioned by shard: a DEDICATED tenant's rows live in their own partition
-- (documents_t<tenant id>, shard = tenant id) with its own HNSW index, so its searches plan
-- against one table and one index that fits in memory. Partitioning by a shard number rather
-- than by tenant_id itself lets small tenants share a pooled partition (shard 0, added by a
-- later migration) without a DEFAULT partition, which PostgreSQL would have to scan every time
-- a tenant gets a partition of its own. tenant_id leads every key: it is what queries filter
-- by, and the column a distributed (Citus) deployment shards on.
create sequence documents_id_seq as bigint;

create table documents (
  id bigint not null default nextval('documents_id_seq'),
  tenant_id integer not null references tenants (id) on delete cascade,
  shard integer not null,
  external_id text not null check (length(external_id) between 1 and 512),
  content text not null check (length(content) > 0),
  metadata jsonb not null default '{}' check (jsonb_typeof(metadata) = 'object'),
  embedding vector(:EMBEDDING_DIMENSIONS) not null,
  embedding_model text not null,
  content_hash text not null,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  primary key (tenant_id, id, shard),
  unique (tenant_id, external_id, shard)
) partition by list (shard);

alter sequence documents_id_seq owned by documents.id;

-- Serves the metadata containment filter (metadata @> {...}) within a partition.
create index documents_metadata_idx on documents using gin (metadata jsonb_path_ops);
