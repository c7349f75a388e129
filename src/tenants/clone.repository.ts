import { sql } from 'kysely';
import type { Db } from '../db/database.js';
import { notExpired } from '../documents/document-expiry.sql.js';
import { type TenantShard, partitionName } from './tenant.js';

// What a clone copies: everything but the internal id (new ones from the sequence) and the
// partition keys (the clone's). Same vectors, metadata, model, timestamps and expiry.
const COPIED_COLUMNS = sql.raw('external_id, content, metadata, embedding, embedding_model, content_hash, created_at, updated_at, expires_at');

/**
 * Copies the source tenant's rows, read from its shard only (both keys named, so one partition
 * is planned and no other tenant's row can match), to the clone: into documents for a SHARED
 * clone, into the clone's detached table (filled before its index is built) for a DEDICATED one.
 * One statement: one snapshot of the source. In id order, so the new ids keep the source's
 * order (document connections page by id). Documents already expired are gone to every read, so
 * they are not copied. The number of rows copied.
 */
export async function copyTenantDocuments(db: Db, from: TenantShard, to: TenantShard & { table: 'documents' | 'own' }): Promise<number> {
  const into = to.table === 'documents' ? sql`documents` : sql.table(partitionName(to.tenantId));
  const result = await sql`insert into ${into} (tenant_id, shard, ${COPIED_COLUMNS})
    select ${sql.lit(to.tenantId)}, ${sql.lit(to.shard)}, ${COPIED_COLUMNS} from documents
    where shard = ${from.shard} and tenant_id = ${from.tenantId} and ${notExpired()}
    order by id`.execute(db);
  return Number(result.numAffectedRows ?? 0);
}
