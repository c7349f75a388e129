import { stat } from 'node:fs/promises';
import { AppError } from '../domain-errors.js';
import type { ArchiveDocument, ArchiveHeader } from '../tenants/archive/archive-format.js';
import { openArchiveFile } from '../tenants/archive/archive-file.js';
import { readArchive, verifyArchive } from '../tenants/archive/archive-reader.js';
import type { DocumentSource } from './document-source.js';
import type { SourceItem } from './document-records.js';
import { type IngestRunOptions, runIngest } from './ingest-run.js';
import { connectToServer, orThrow, postGraphQL } from './server-sink.js';

export type ArchiveImportOptions = IngestRunOptions & {
  /** The server's GraphQL endpoint. */
  url: string;
  adminToken: string;
  slug: string;
  file: string;
  /** Load into a tenant that already exists (else an existing slug is refused). */
  intoExisting: boolean;
};

const CREATE =
  'mutation($input: CreateTenantInput!) { createTenant(input: $input) { slug embeddingModel } }';
const FIND = 'query($slug: String!) { tenantBySlug(slug: $slug) { slug state embeddingModel } }';

/**
 * `npm run admin -- import`: a tenant archive loaded through a running server with the ingest
 * pipeline (batches, progress, rejects file). Nothing is written from a bad file: a first pass
 * reads the whole file and checks every line, its count and checksum (streaming, nothing kept),
 * and only then is the tenant created and the second pass loaded. Vectors are sent as stored,
 * with each document's model, when the archive's model is the deployment's; otherwise the server
 * embeds the content again. Returns runIngest's exit code.
 */
export async function importArchive(options: ArchiveImportOptions): Promise<number> {
  const { url, adminToken, slug, file, say } = options;
  say(`checking ${file} (every line, its count and checksum) before writing anything`);
  const { header, documents } = await verifyArchive(openArchiveFile(file));
  say(`${file}: tenant "${header.tenant.slug}" of ${documents} documents, ${header.dimensions} dimensions, model ${header.model}`);

  const admin = { authorization: `Bearer ${adminToken}` };
  const post = (query: string, variables: Record<string, unknown>) => postGraphQL(url, query, variables, admin);
  const existing = orThrow(await post(FIND, { slug })).tenantBySlug as { embeddingModel: string } | null;
  if (existing && !options.intoExisting) {
    throw new AppError('CONFLICT', `slug: a tenant with slug "${slug}" already exists; pass --into-existing to load into it`, 'slug');
  }
  const model = existing ? existing.embeddingModel : await createFromHeader(post, slug, header, say);
  const keepVectors = header.model === model;
  say(
    keepVectors
      ? `the archive's model is the deployment's (${model}): vectors are loaded as stored, not embedded again`
      : `the archive's model (${header.model}) is not the deployment's (${model}): contents are embedded again`,
  );

  const target = await connectToServer(url, { adminToken, slug });
  let expired = 0;
  try {
    return await runIngest(target, await archiveSource(file, keepVectors, () => (expired += 1)), options);
  } finally {
    await target.close();
    if (expired > 0) say(`${expired} documents had expired since the export and were skipped (not loaded, not rejected)`);
  }
}

async function createFromHeader(
  post: (query: string, variables: Record<string, unknown>) => ReturnType<typeof postGraphQL>,
  slug: string,
  header: ArchiveHeader,
  say: (message: string) => void,
): Promise<string> {
  const { name, placement, hnsw, efSearch } = header.tenant;
  const created = orThrow(await post(CREATE, { input: { slug, name, placement, hnsw, efSearch } })).createTenant as { embeddingModel: string };
  say(`created tenant ${slug} (${placement}, m ${hnsw.m}, efConstruction ${hnsw.efConstruction}, efSearch ${efSearch})`);
  return created.embeddingModel;
}

/** The archive's documents as the ingest pipeline's source: line numbers are the archive's. */
async function archiveSource(file: string, keepVectors: boolean, onExpired: () => void): Promise<DocumentSource> {
  const totalBytes = (await stat(file)).size;
  let bytes = 0;
  let items = 0;
  async function* documentItems(): AsyncGenerator<SourceItem> {
    for await (const record of readArchive(openArchiveFile(file, (read) => (bytes += read)))) {
      if (record.type !== 'document') continue;
      items += 1;
      // Expired since the export: gone to every read there, so skipped here (upsert refuses a past expiresAt).
      if (isExpired(record.document)) {
        onExpired();
        continue;
      }
      yield { kind: 'document', line: record.line, input: toInput(record.document, keepVectors), raw: rawOf(record.document) };
    }
    bytes = totalBytes;
  }
  return { path: file, format: 'jsonl', totalBytes, position: () => ({ bytes: Math.min(bytes, totalBytes), items }), items: documentItems() };
}

function isExpired(document: ArchiveDocument): boolean {
  return document.expiresAt != null && Date.parse(document.expiresAt) <= Date.now();
}

function toInput(document: ArchiveDocument, keepVectors: boolean) {
  const { externalId, content, metadata } = document;
  const expiry = document.expiresAt == null ? {} : { expiresAt: new Date(document.expiresAt) };
  // Each float32 becomes the double of the same value; JSON prints that double exactly, and the
  // server's float4 cast gives back the same float32: the vector arrives bit for bit.
  return keepVectors
    ? { externalId, content, metadata, ...expiry, embedding: Array.from(document.vector), embeddingModel: document.model }
    : { externalId, content, metadata, ...expiry };
}

// What a rejected document is recorded as in the rejects file: enough to find it, without its vector.
function rawOf(document: ArchiveDocument) {
  return { externalId: document.externalId, content: document.content, metadata: document.metadata, model: document.model };
}
