import { createHash } from 'node:crypto';
import { join } from 'node:path';
import type { Db } from '../db/database.js';
import { toVectorParameter } from '../db/vector.js';
import { AppError } from '../domain-errors.js';
import type { ServiceDeps } from '../service-deps.js';
import type { ArchiveDocument, ArchiveHeader } from './archive/archive-format.js';
import { readArchive } from './archive/archive-reader.js';
import { encodeArchive } from './archive/archive-writer.js';
import { type RowSource, listArchivePage } from './archive/tenant-export.repository.js';
import { archiveHeader, toArchiveDocument } from './archive/tenant-export.service.js';
import { prewarmIndex } from './maintenance.service.js';
import { newOffloadFileName, openOffloadFile, removeOffloadFile, removeStrayOffloadFiles, sha256OfFile, writeOffloadFile } from './offload-file.js';
import { pauseForCrashTest } from './offload-pause.js';
import * as offloads from './offload.repository.js';
import * as partitions from './partition.repository.js';
import { activateTenant, isolateDedicatedTenant } from './placement.service.js';
import { toTenant } from './tenant-row.js';
import { withTenantExclusive } from './tenant-session.js';
import { type Tenant, shardOf } from './tenant.js';

type Deps = Pick<ServiceDeps, 'database' | 'vectors' | 'embedder' | 'metric' | 'tenantCache' | 'offloadDir' | 'offloadTestPause'>;

/** Rows per page read for the archive, and per insert when restoring. */
const PAGE_ROWS = 500;

/*
 * Offload protocol. Everything happens in one transaction holding the tenant's lock exclusively,
 * so no request reads or writes the tenant meanwhile (they wait, then see it OFFLOADED):
 * 1. the archive is streamed from the rows to <name>.tmp, fsynced, renamed to <name>, the
 *    directory fsynced: the file is whole and durable before anything in the database changes;
 * 2. the rows are deleted (shared pool) or the tenant's table dropped, and the tenant row set
 *    OFFLOADED naming the file and its sha256;
 * 3. commit. Killed before the commit, the database rolls all of 2 back: the tenant is whole in
 *    the database and the file is a stray, removed by the tenant's next offload or restore.
 *    After it, the database holds the name of a file that was durable before the commit began.
 * Restoring is the mirror: the file is checked against the recorded sha256 before anything is
 * loaded, the rows go back and the state becomes ACTIVE in one transaction, and the file is
 * deleted only after that commits (a crash in between leaves a stray, cleaned up the same way).
 */

/** Moves an ACTIVE or INACTIVE tenant's documents out of the database into a checksummed archive in OFFLOAD_DIR. */
export async function offloadTenant(deps: Deps, tenant: Tenant): Promise<Tenant> {
  const dir = requireOffloadDir(deps);
  deps.tenantCache?.forget(tenant.slug);
  return withTenantExclusive(deps.database, tenant.id, async (trx, current) => {
    if (current.state === 'OFFLOADED') return current;
    await removeStrayOffloadFiles(dir, current.id);
    const file = newOffloadFileName(current.id);
    let documents = 0;
    const source: RowSource =
      current.state === 'INACTIVE' ? { kind: 'detached', tenantId: current.id } : { kind: 'shard', shard: shardOf(current) };
    async function* counted() {
      for await (const document of readDocuments(trx, source)) {
        documents += 1;
        yield document;
      }
    }
    const sha256 = await writeOffloadFile(dir, file, encodeArchive(archiveHeader(deps, current), counted()));
    try {
      await pauseForCrashTest(deps.offloadTestPause, 'archived');
      if (current.state === 'ACTIVE' && current.placement === 'SHARED') await partitions.deleteSharedRows(trx, current.id);
      else await partitions.dropTenantTable(trx, current.id);
      const offloaded = toTenant(await offloads.markOffloaded(trx, current.id, { file, sha256, documents }));
      await pauseForCrashTest(deps.offloadTestPause, 'removed');
      return offloaded;
    } catch (error) {
      // The transaction rolls back: the rows stay, and this file names nothing.
      await removeOffloadFile(dir, file).catch(() => undefined);
      throw error;
    }
  });
}

/** activateTenant for any state: restores an OFFLOADED tenant from its archive, reattaches an INACTIVE one. */
export async function activateOrRestoreTenant(deps: Deps, tenant: Tenant): Promise<Tenant> {
  return tenant.state === 'OFFLOADED' ? restoreTenant(deps, tenant) : activateTenant(deps, tenant);
}

/** Loads an OFFLOADED tenant's archive back (checksum first), rebuilds its index, and makes it ACTIVE. */
export async function restoreTenant(deps: Deps, tenant: Tenant): Promise<Tenant> {
  const dir = requireOffloadDir(deps);
  let restoredFile: string | undefined;
  const restored = await withTenantExclusive(deps.database, tenant.id, async (trx, current) => {
    if (current.state !== 'OFFLOADED') return current;
    const offload = await offloads.findOffload(trx, current.id);
    if (!offload) throw new Error(`tenant ${current.id} is OFFLOADED without an offload file`);
    const path = join(dir, offload.offload_file);
    const actual = await sha256OfFile(path);
    if (actual === undefined) {
      throw new AppError('FAILED_PRECONDITION', `Tenant "${current.slug}" stays OFFLOADED: its archive ${offload.offload_file} is missing from OFFLOAD_DIR (${dir})`);
    }
    if (actual !== offload.offload_sha256) {
      throw new AppError(
        'FAILED_PRECONDITION',
        `Tenant "${current.slug}" stays OFFLOADED: its archive ${offload.offload_file} does not match its recorded sha256 (${offload.offload_sha256}, the file has ${actual}); it was altered or damaged`,
      );
    }
    await removeStrayOffloadFiles(dir, current.id, offload.offload_file);
    const shard = shardOf(current);
    const table = current.placement === 'DEDICATED' ? 'own' : 'documents';
    if (table === 'own') await partitions.createDetachedTenantTable(trx, current.id);
    let batch: offloads.RestoredDocumentRow[] = [];
    let documents = 0;
    for await (const record of readArchive(openOffloadFile(path))) {
      if (record.type === 'header') checkHeader(deps, current, record.header);
      if (record.type !== 'document') continue;
      batch.push(restoredRow(record.document));
      documents += 1;
      if (batch.length >= PAGE_ROWS) {
        await offloads.insertRestoredDocuments(trx, { table, shard }, batch);
        batch = [];
      }
    }
    await offloads.insertRestoredDocuments(trx, { table, shard }, batch);
    if (documents !== Number(offload.offload_documents)) {
      throw new AppError('FAILED_PRECONDITION', `Tenant "${current.slug}" stays OFFLOADED: its archive holds ${documents} documents, ${offload.offload_documents} were offloaded`);
    }
    if (table === 'own') {
      // One build over all rows, as promotion does: much faster than growing the graph row by row.
      await partitions.createTenantIndex(trx, current.id, { ...current.hnsw, vectors: deps.vectors });
      await partitions.attachTenantPartition(trx, current.id);
      await partitions.analyzeTenantPartition(trx, current.id);
    }
    const active = toTenant(await offloads.markRestored(trx, current.id));
    await pauseForCrashTest(deps.offloadTestPause, 'restored');
    restoredFile = offload.offload_file;
    return active;
  });
  // The tenant is restored whatever happens here: a file that cannot be deleted now is a stray,
  // removed by the tenant's next offload or restore.
  if (restoredFile) await removeOffloadFile(dir, restoredFile).catch(() => undefined);
  // After the commit, as after a promotion: Citus splits shards only outside a transaction that wrote.
  await isolateDedicatedTenant(deps, restored);
  if (restoredFile && restored.placement === 'DEDICATED') await prewarmIndex(deps, restored);
  return restored;
}

function requireOffloadDir(deps: Deps): string {
  if (deps.offloadDir) return deps.offloadDir;
  throw new AppError(
    'FAILED_PRECONDITION',
    'Offloading needs OFFLOAD_DIR: a directory every server process can read and write (the embedded engine defaults to DATA_DIR/offload)',
  );
}

// A file written for another deployment cannot go back into this one's vector column or metric.
function checkHeader(deps: Deps, tenant: Tenant, header: ArchiveHeader): void {
  if (header.dimensions !== deps.embedder.dimensions || header.distanceMetric !== deps.metric) {
    throw new AppError(
      'FAILED_PRECONDITION',
      `Tenant "${tenant.slug}" stays OFFLOADED: its archive holds ${header.dimensions}-dimension ${header.distanceMetric} vectors, this deployment uses ${deps.embedder.dimensions}-dimension ${deps.metric}`,
    );
  }
}

async function* readDocuments(trx: Db, source: RowSource): AsyncGenerator<ArchiveDocument> {
  let after: string | null = null;
  for (;;) {
    const rows = await listArchivePage(trx, source, { after, limit: PAGE_ROWS });
    for (const row of rows) yield toArchiveDocument(row);
    if (rows.length < PAGE_ROWS) return;
    after = rows[rows.length - 1]!.id;
  }
}

function restoredRow(document: ArchiveDocument): offloads.RestoredDocumentRow {
  return {
    external_id: document.externalId,
    content: document.content,
    metadata: document.metadata,
    embedding: toVectorParameter(Array.from(document.vector)),
    embedding_model: document.model,
    content_hash: createHash('sha256').update(document.content).digest('hex'),
    created_at: document.createdAt,
    updated_at: document.updatedAt,
    expires_at: document.expiresAt ?? null,
  };
}
