import { sql } from 'kysely';
import type { Db } from '../db/database.js';
import type { TenantRow } from '../tenants/tenant.repository.js';
import type { TenantId } from '../tenants/tenant.js';

// api_keys is read and written as the owner with an explicit tenant filter: keys are looked up
// before any tenant is known, and narwhal_app has no grant on the table.

const KEY_COLUMNS = ['id', 'name', 'created_at', 'last_used_at', 'revoked_at'] as const;

export type ApiKeyRow = { id: string; name: string; created_at: Date; last_used_at: Date | null; revoked_at: Date | null };

export async function insertApiKey(
  db: Db,
  values: { id: string; tenant_id: TenantId; name: string; key_hash: Buffer },
): Promise<ApiKeyRow> {
  return db.insertInto('api_keys').values(values).returning(KEY_COLUMNS).executeTakeFirstOrThrow();
}

export async function listApiKeys(db: Db, tenantId: TenantId): Promise<ApiKeyRow[]> {
  return db.selectFrom('api_keys').select(KEY_COLUMNS).where('tenant_id', '=', tenantId).orderBy('created_at').orderBy('id').execute();
}

/** Marks the key revoked (keeping the first revocation time); undefined when there is no such key. */
export async function revokeApiKey(db: Db, id: string): Promise<ApiKeyRow | undefined> {
  return db
    .updateTable('api_keys')
    .set({ revoked_at: sql<Date>`coalesce(revoked_at, now())` })
    .where('id', '=', id)
    .returning(KEY_COLUMNS)
    .executeTakeFirst();
}

export type ApiKeyCredentialRow = {
  key_hash: Buffer;
  revoked_at: Date | null;
  last_used_at: Date | null;
  tenant: TenantRow;
};

/** What authenticating a request with key `id` needs: its hash, its state and its tenant, in one query. */
export async function findApiKeyCredential(db: Db, id: string): Promise<ApiKeyCredentialRow | undefined> {
  const row = await db
    .selectFrom('api_keys as k')
    .innerJoin('tenants as t', 't.id', 'k.tenant_id')
    .select([
      'k.key_hash',
      'k.revoked_at',
      'k.last_used_at',
      't.id',
      't.slug',
      't.name',
      't.hnsw_m',
      't.hnsw_ef_construction',
      't.ef_search',
      't.placement',
      't.state',
      't.created_at',
      't.document_ttl_seconds',
    ])
    .where('k.id', '=', id)
    .executeTakeFirst();
  if (!row) return undefined;
  const { key_hash, revoked_at, last_used_at, ...tenant } = row;
  return { key_hash, revoked_at, last_used_at, tenant };
}

/** Records use, at most once a minute per key: a write on every request would be a write per read. */
export async function touchApiKey(db: Db, id: string): Promise<void> {
  await db
    .updateTable('api_keys')
    .set({ last_used_at: sql<Date>`now()` })
    .where('id', '=', id)
    .where((eb) => eb.or([eb('last_used_at', 'is', null), eb('last_used_at', '<', sql<Date>`now() - interval '1 minute'`)]))
    .execute();
}
