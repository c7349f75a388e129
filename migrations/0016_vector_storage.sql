-- Embeddings of any dimension pgvector holds (1-16,000), and half-precision indexes by choice.
-- vector_storage is fixed when the database is created, like the metric: every tenant's HNSW
-- index is built over the embedding in that precision (src/db/vector-storage.ts), and the server
-- refuses to start with another VECTOR_STORAGE. A database that already has tenants keeps
-- float32, what its indexes were built with.
alter table deployment_settings
  add column vector_storage text not null default 'float32' check (vector_storage in ('float32', 'float16'));

update deployment_settings set vector_storage = ':VECTOR_STORAGE' where not exists (select 1 from tenants);

-- Above 2,000 dimensions a float4 vector (8 bytes + 4 a value) no longer fits the 8 kB row
-- migration 0005 keeps it in: such a deployment stores vectors out of line, uncompressed
-- (EXTERNAL: floats do not compress). The planner then leaves them out of a sequential scan's
-- cost (pgvector issue 784), which pgvector 0.8's HNSW cost estimate makes up for: the tests prove
-- with EXPLAIN that dedicated searches still use the index. Recurses to existing partitions.
do $$
begin
  if (select embedding_dimensions from deployment_settings) > 2000 then
    alter table documents alter column embedding set storage external;
  end if;
end
$$;
