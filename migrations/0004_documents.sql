-- Documents, partitioned by tenant: each tenant's rows live in their own partition
-- (documents_t<tenant id>, created with the tenant) with its own HNSW index, so a search plans
-- against one small table and one index that fits in memory. Keys lead with tenant_id, as a
-- partitioned table's unique constraints must include the partition key.
create sequence documents_id_seq as bigint;

create table documents (
  id bigint not null default nextval('documents_id_seq'),
  tenant_id integer not null references tenants (id) on delete cascade,
  external_id text not null check (length(external_id) between 1 and 512),
  content text not null check (length(content) > 0),
  metadata jsonb not null default '{}' check (jsonb_typeof(metadata) = 'object'),
  embedding vector(:EMBEDDING_DIMENSIONS) not null,
  embedding_model text not null,
  content_hash text not null,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  primary key (tenant_id, id),
  unique (tenant_id, external_id)
) partition by list (tenant_id);

alter sequence documents_id_seq owned by documents.id;

-- Serves the metadata containment filter (metadata @> {...}) within a partition.
create index documents_metadata_idx on documents using gin (metadata jsonb_path_ops);
