-- New tenants' HNSW indexes are built with ef_construction 128 (src/tenants/tenant.ts says why);
-- the server always names the value, and the column's default says the same. Existing tenants
-- keep theirs: rebuildTenantIndex moves a tenant to new settings without stopping its searches.
alter table tenants alter column hnsw_ef_construction set default 128;
