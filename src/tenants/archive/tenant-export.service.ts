import { AppError } from '../../domain-errors.js';
import type { ServiceDeps } from '../../service-deps.js';
import { countDocuments, requireTenantBySlug } from '../tenant.service.js';
import { inTenantSession } from '../tenant-session.js';
import type { Tenant } from '../tenant.js';
import { ARCHIVE_KIND, ARCHIVE_VERSION, type ArchiveDocument, type ArchiveHeader } from './archive-format.js';
import { encodeArchive } from './archive-writer.js';
import { type ArchiveRow, listArchivePage } from './tenant-export.repository.js';

type ExportDeps = Pick<ServiceDeps, 'database' | 'embedder' | 'metric'>;

/** Documents per page: one short tenant session each, so an export never holds a connection long. */
export const EXPORT_PAGE_SIZE = 1000;

/** The path of a tenant's streamed export on the server (GET, admin token). */
export function exportPath(slug: string): string {
  return `/admin/tenants/${encodeURIComponent(slug)}/export`;
}

export function archiveHeader(deps: ExportDeps, tenant: Tenant, exportedAt = new Date()): ArchiveHeader {
  return {
    narwhal: ARCHIVE_KIND,
    version: ARCHIVE_VERSION,
    tenant: { slug: tenant.slug, name: tenant.name, placement: tenant.placement, hnsw: { ...tenant.hnsw }, efSearch: tenant.efSearch },
    dimensions: deps.embedder.dimensions,
    distanceMetric: deps.metric,
    model: deps.embedder.model,
    exportedAt: exportedAt.toISOString(),
  };
}

/**
 * The tenant's documents in id order, a page at a time, each page in its own tenant session (so
 * the tenant's lock is never held across the whole export). Pages are read as they are consumed;
 * a document written during the export may or may not be in it, one page is one snapshot.
 */
export async function* exportTenantDocuments(deps: ExportDeps, tenant: Tenant, pageSize = EXPORT_PAGE_SIZE): AsyncGenerator<ArchiveDocument> {
  let after: string | null = null;
  for (;;) {
    const cursor = after;
    const rows: ArchiveRow[] = await inTenantSession(deps.database, tenant, {
      run: ({ db, shard }) => listArchivePage(db, { kind: 'shard', shard }, { after: cursor, limit: pageSize }),
    });
    for (const row of rows) yield toArchiveDocument(row);
    if (rows.length < pageSize) return;
    after = rows[rows.length - 1]!.id;
  }
}

export type TenantExport = { slug: string; path: string; documentCount: number; model: string; dimensions: number };

/** What an export of the tenant would be: the endpoint's path and what it holds now. */
export async function describeTenantExport(deps: ExportDeps, slug: string): Promise<TenantExport> {
  const tenant = await exportableTenant(deps, slug);
  const documentCount = await countDocuments(deps, tenant);
  return { slug: tenant.slug, path: exportPath(tenant.slug), documentCount, model: deps.embedder.model, dimensions: deps.embedder.dimensions };
}

/** A tenant's archive as a pull-driven stream of bytes, with its document count when it starts. */
export async function exportTenant(deps: ExportDeps, slug: string): Promise<{ tenant: Tenant; documents: number; chunks: AsyncGenerator<Buffer> }> {
  const tenant = await exportableTenant(deps, slug);
  const documents = await countDocuments(deps, tenant);
  return { tenant, documents, chunks: encodeArchive(archiveHeader(deps, tenant), exportTenantDocuments(deps, tenant)) };
}

async function exportableTenant(deps: ExportDeps, slug: string): Promise<Tenant> {
  const tenant = await requireTenantBySlug(deps, slug);
  // Refused before the first byte, so the client gets a status rather than a cut-off stream.
  if (tenant.state !== 'ACTIVE') throw new AppError('TENANT_INACTIVE', `Tenant "${slug}" is inactive: activate it to export it`);
  return tenant;
}

/** A stored document as an archive holds it, its vector from pgvector's binary form. */
export function toArchiveDocument(row: ArchiveRow): ArchiveDocument {
  // vector_send: int16 dimensions, int16 unused, then big-endian float4 values.
  const bytes = row.embedding_bytes;
  const vector = new Float32Array(bytes.readInt16BE(0));
  for (let index = 0; index < vector.length; index += 1) vector[index] = bytes.readFloatBE(4 + 4 * index);
  return {
    externalId: row.external_id,
    content: row.content,
    metadata: row.metadata,
    model: row.embedding_model,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
    expiresAt: row.expires_at,
    vector,
  };
}
