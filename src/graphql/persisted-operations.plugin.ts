import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { useAPQ } from '@graphql-yoga/plugin-apq';
import { usePersistedOperations } from '@graphql-yoga/plugin-persisted-operations';
import { GraphQLError } from 'graphql';
import type { Plugin } from 'graphql-yoga';
import { LRUCache } from 'lru-cache';

/**
 * How a request may name its operation instead of sending its text (both through yoga's own
 * plugins, in the `extensions.persistedQuery.sha256Hash` form Apollo Client and urql send):
 * - automatic: automatic persisted queries. A client sends the hash alone; an unknown hash is
 *   answered PERSISTED_QUERY_NOT_FOUND and the client sends hash and text once, which the server
 *   keeps (in memory, per process) for the next requests. Any operation still runs.
 * - trusted: trusted documents. Only the operations of a manifest built with the frontend run,
 *   named by their id; a request carrying query text is refused, unless it carries the admin token
 *   (the admin CLI and an operator's GraphiQL send their own operations).
 * - off: every request sends its text.
 */
export type PersistedOperations =
  | { mode: 'automatic' }
  | { mode: 'trusted'; documents: ReadonlyMap<string, string> }
  | { mode: 'off' };

/** Most operation texts kept for automatic persisted queries (least recently used go first). */
const AUTOMATIC_PERSISTED_QUERIES = 1000;

/** isAdmin: whether a request carries the admin token, which may still send operation text in trusted mode. */
export function usePersistedOperationsSetting(setting: PersistedOperations, isAdmin: (request: Request) => boolean): Plugin[] {
  if (setting.mode === 'off') return [];
  if (setting.mode === 'automatic') {
    // No time to live: a kept text is valid as long as its hash, and the store is bounded.
    return [useAPQ({ store: new LRUCache<string, string>({ max: AUTOMATIC_PERSISTED_QUERIES }), hash: sha256Hex })];
  }
  const { documents } = setting;
  return [
    usePersistedOperations({
      getPersistedOperation: (id) => documents.get(id) ?? null,
      allowArbitraryOperations: isAdmin,
      customErrors: {
        notFound: refusal('PERSISTED_QUERY_NOT_FOUND', 'This server runs trusted documents only, and no operation of its manifest has this id', 404),
        keyNotFound: refusal('PERSISTED_QUERY_REQUIRED', 'This server runs trusted documents only: name the operation in extensions.persistedQuery.sha256Hash', 400),
        persistedQueryOnly: refusal(
          'PERSISTED_QUERY_REQUIRED',
          'This server runs trusted documents only: send the operation\'s id in extensions.persistedQuery.sha256Hash instead of its text (or the admin token)',
          400,
        ),
      },
    }),
  ];
}

function refusal(code: string, message: string, status: number) {
  return () => new GraphQLError(message, { extensions: { code, http: { status } } });
}

async function sha256Hex(text: string): Promise<string> {
  return createHash('sha256').update(text).digest('hex');
}

/** The setting as configured: a trusted-documents manifest is read (and checked) at startup. */
export async function loadPersistedOperations(setting: { mode: 'automatic' | 'off' } | { mode: 'trusted'; file: string }): Promise<PersistedOperations> {
  if (setting.mode !== 'trusted') return setting;
  const text = await readFile(setting.file, 'utf8').catch((error: NodeJS.ErrnoException) => {
    throw new Error(`TRUSTED_DOCUMENTS=${setting.file}: ${error.code === 'ENOENT' ? 'no such file' : error.message}`);
  });
  let manifest: unknown;
  try {
    manifest = JSON.parse(text);
  } catch (error) {
    throw new Error(`TRUSTED_DOCUMENTS=${setting.file}: not JSON (${(error as Error).message})`);
  }
  return { mode: 'trusted', documents: parseTrustedDocuments(manifest, `TRUSTED_DOCUMENTS=${setting.file}`) };
}

/**
 * The operations of a trusted-documents manifest, by id. Reads the two formats frontends build:
 * GraphQL Codegen's client preset (`persisted-documents.json`: `{ "<sha256>": "<text>" }`) and
 * Apollo's (`{ "format": "apollo-persisted-query-manifest", "operations": [{ "id", "body" }] }`).
 * An id that looks like a sha256 must be the text's: a manifest that would run other text than a
 * client's hash names is refused whole, naming the entry.
 */
export function parseTrustedDocuments(manifest: unknown, source: string): Map<string, string> {
  const entries = manifestEntries(manifest, source);
  const documents = new Map<string, string>();
  for (const [id, body] of entries) {
    if (typeof body !== 'string' || body.trim() === '') throw new Error(`${source}: operation "${id}" has no text`);
    if (/^[0-9a-f]{64}$/.test(id) && createHash('sha256').update(body).digest('hex') !== id) {
      throw new Error(`${source}: operation "${id}" is not the sha256 of its text`);
    }
    documents.set(id, body);
  }
  if (documents.size === 0) throw new Error(`${source}: the manifest lists no operations`);
  return documents;
}

function manifestEntries(manifest: unknown, source: string): [string, unknown][] {
  if (typeof manifest !== 'object' || manifest === null || Array.isArray(manifest)) {
    throw new Error(`${source}: a trusted-documents manifest is a JSON object`);
  }
  const record = manifest as Record<string, unknown>;
  if (record.format !== 'apollo-persisted-query-manifest') return Object.entries(record);
  if (!Array.isArray(record.operations)) throw new Error(`${source}: an Apollo manifest needs an "operations" array`);
  return record.operations.map((operation: unknown, index) => {
    const { id, body } = (operation ?? {}) as { id?: unknown; body?: unknown };
    if (typeof id !== 'string' || id === '') throw new Error(`${source}: operations[${index}] has no id`);
    return [id, body];
  });
}
