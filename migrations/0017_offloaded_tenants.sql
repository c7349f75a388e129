-- Offloaded tenants. A cold tenant's documents can leave the database for a checksummed archive
-- file in OFFLOAD_DIR (src/tenants/offload.service.ts): the tenant row stays, in state OFFLOADED,
-- naming its file, the file's sha256 and how many documents it holds, so activateTenant can find
-- the file, refuse one that is missing or altered, and restore the rows. The file name and the
-- state change in the same transaction that removes the rows: whichever side of that commit a
-- crash falls on, the tenant is whole in exactly one place. The last check holds that an OFFLOADED
-- tenant always names its file.
--
-- The pattern of 0018: one DO block (Citus propagates DDL as the statement's text, and a worker
-- refuses a multi-statement text), each column added bare and its check added apart, named:
-- Citus refuses ADD COLUMN with an inline constraint on an already distributed (reference) table.
do $$
begin
  alter table tenants drop constraint tenants_state_check;
  alter table tenants add constraint tenants_state_check check (state in ('ACTIVE', 'INACTIVE', 'DELETED', 'OFFLOADED'));
  alter table tenants add column offload_file text;
  alter table tenants add constraint tenants_offload_file_check check (offload_file ~ '^[0-9]+\.[0-9a-f]+\.jsonl\.gz$');
  alter table tenants add column offload_sha256 text;
  alter table tenants add constraint tenants_offload_sha256_check check (offload_sha256 ~ '^[0-9a-f]{64}$');
  alter table tenants add column offload_documents bigint;
  alter table tenants add constraint tenants_offload_documents_check check (offload_documents >= 0);
  alter table tenants add column offloaded_at timestamptz;
  alter table tenants add constraint tenants_offload_check check (
    state <> 'OFFLOADED' or (offload_file is not null and offload_sha256 is not null and offload_documents is not null));
end
$$;
