-- Tenants: the unit of isolation. The integer id names the tenant's partition; the slug is what
-- clients send and never reaches an identifier. HNSW settings are per tenant so a large tenant can
-- trade build time for recall without touching the others.
create table tenants (
  id integer primary key generated always as identity,
  slug text not null unique check (slug ~ '^[a-z0-9_-]{1,63}$'),
  name text not null,
  hnsw_m integer not null default 16 check (hnsw_m between 2 and 100),
  hnsw_ef_construction integer not null default 64 check (hnsw_ef_construction between 4 and 1000),
  ef_search integer not null default 40 check (ef_search between 1 and 1000),
  created_at timestamptz not null default now(),
  -- pgvector refuses to build an index with ef_construction below 2 * m.
  check (hnsw_ef_construction >= 2 * hnsw_m)
);
