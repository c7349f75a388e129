-- Per-tenant API keys (AUTH_MODE=apikey). A key is shown once, when it is created; the database
-- keeps only its sha256, so a copy of this table does not hold working keys. id is the key's
-- public, random identifier, embedded in the key itself (nwk_<id>_<secret>): a request's key is
-- found by id and then compared by hash in constant time, never looked up by its secret.
-- Revoked keys are kept (revoked_at) so admins can see what existed; deleting the tenant deletes them.
create table api_keys (
  id text primary key check (id ~ '^[0-9a-f]{16}$'),
  tenant_id integer not null references tenants (id) on delete cascade,
  name text not null check (length(name) between 1 and 100),
  key_hash bytea not null check (length(key_hash) = 32),
  created_at timestamptz not null default now(),
  last_used_at timestamptz,
  revoked_at timestamptz
);

create index api_keys_tenant_id_idx on api_keys (tenant_id, created_at);
