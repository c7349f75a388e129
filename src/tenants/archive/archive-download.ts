import { stat } from 'node:fs/promises';
import { Readable } from 'node:stream';
import type { ReadableStream as WebReadableStream } from 'node:stream/web';
import { AppError, ERROR_CODES, type ErrorCode } from '../../domain-errors.js';
import { openArchiveFile, writeArchiveFile } from './archive-file.js';
import { verifyArchive } from './archive-reader.js';

/** Where a server at `graphqlUrl` (e.g. http://host:4000/graphql) serves a tenant's export. */
export function exportUrl(graphqlUrl: string, slug: string): URL {
  return new URL(`/admin/tenants/${encodeURIComponent(slug)}/export`, graphqlUrl);
}

/**
 * Streams a tenant's export from a running server into `path` (gzip by name), then reads the file
 * back through the archive reader before it takes its name: a stream cut short (server stopped,
 * network lost) leaves no file, never one that looks whole.
 */
export async function downloadArchive(graphqlUrl: string, adminToken: string, slug: string, path: string): Promise<{ documents: number; bytes: number }> {
  const url = exportUrl(graphqlUrl, slug);
  let response: Response;
  try {
    response = await fetch(url, { headers: { authorization: `Bearer ${adminToken}` } });
  } catch (error) {
    throw new Error(`cannot reach the server at ${url.origin}: ${(error as Error).message}`, { cause: error });
  }
  if (!response.ok || !response.body) throw await refusal(response);
  let documents = 0;
  await writeArchiveFile(path, Readable.fromWeb(response.body as WebReadableStream<Uint8Array>), async (written) => {
    documents = (await verifyArchive(openArchiveFile(written))).documents;
  });
  return { documents, bytes: (await stat(path)).size };
}

async function refusal(response: Response): Promise<AppError> {
  const text = await response.text();
  try {
    const error = (JSON.parse(text) as { errors?: { message: string; extensions?: { code?: string } }[] }).errors?.[0];
    const code = error?.extensions?.code ?? '';
    if (error) return new AppError((ERROR_CODES as readonly string[]).includes(code) ? (code as ErrorCode) : 'INTERNAL_SERVER_ERROR', error.message);
  } catch {
    // not a JSON error body: reported with its status below
  }
  return new AppError('INTERNAL_SERVER_ERROR', `the server answered ${response.status}: ${text.slice(0, 200)}`);
}
