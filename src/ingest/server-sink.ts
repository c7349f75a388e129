import type { DocumentInput } from '../documents/document.js';
import { AppError, ERROR_CODES, type ErrorCode } from '../domain-errors.js';
import type { IngestSink } from './ingest.service.js';

/** How the loader proves itself to the server: a tenant's API key, or the admin token and a slug. */
export type ServerCredentials = { apiKey: string } | { adminToken: string; slug: string };

export type ServerTarget = {
  tenant: { slug: string; placement: string };
  sink: IngestSink;
  /** Revokes the API key made for this run, if one was. */
  close(): Promise<void>;
};

type GraphQLError = { message: string; extensions?: { code?: string; field?: string; retryAfterSeconds?: number } };
type Answer = { status: number; data?: Record<string, any> | null; errors?: GraphQLError[] };

const UPSERT = 'mutation Ingest($documents: [DocumentInput!]!) { upsertDocuments(documents: $documents) { documents { id } } }';
/** Most times one batch waits out RATE_LIMITED before the run gives up. */
const MAX_RATE_LIMITED_RETRIES = 30;

/**
 * Loads through a running server's GraphQL API (upsertDocuments), for when the server owns the
 * data directory. The tenant comes from the credentials, as for any client: an API key is its
 * tenant's; with the admin token the slug is checked by the admin API, then sent in x-tenant-id
 * where the server trusts it (AUTH_MODE=dev), and otherwise an API key is made for the run and
 * revoked after it.
 */
export async function connectToServer(url: string, credentials: ServerCredentials): Promise<ServerTarget> {
  const post = (query: string, variables: Record<string, unknown>, headers: Record<string, string>) =>
    postGraphQL(url, query, variables, headers);
  if ('apiKey' in credentials) {
    const headers = { authorization: `Bearer ${credentials.apiKey}` };
    const tenant = await callerTenant(post, headers);
    return { tenant, sink: serverSink(post, headers), close: async () => {} };
  }
  const admin = { authorization: `Bearer ${credentials.adminToken}` };
  const found = orThrow(await post('query($slug: String!) { tenantBySlug(slug: $slug) { slug state } }', { slug: credentials.slug }, admin));
  const tenant = found.tenantBySlug as { slug: string; state: string } | null;
  if (!tenant) throw new AppError('TENANT_NOT_FOUND', `No tenant with slug "${credentials.slug}" on ${url}`);
  if (tenant.state !== 'ACTIVE') throw new AppError(tenant.state === 'OFFLOADED' ? 'TENANT_OFFLOADED' : 'TENANT_INACTIVE', `Tenant "${tenant.slug}" is ${tenant.state}; activate it first`);

  const dev = { 'x-tenant-id': tenant.slug };
  const asDev = await post('{ tenant { slug placement } }', {}, dev);
  if (!asDev.errors) return { tenant: asDev.data!.tenant, sink: serverSink(post, dev), close: async () => {} };
  if (asDev.errors[0]?.extensions?.code !== 'UNAUTHENTICATED') orThrow(asDev);

  const created = orThrow(
    await post(
      'mutation($slug: String!, $name: String!) { createApiKey(slug: $slug, name: $name) { key apiKey { id } } }',
      { slug: tenant.slug, name: `npm run ingest (for one run, revoked after it) ${new Date().toISOString()}` },
      admin,
    ),
  ).createApiKey as { key: string; apiKey: { id: string } };
  const headers = { authorization: `Bearer ${created.key}` };
  const revoke = async () => {
    orThrow(await post('mutation($id: ID!) { revokeApiKey(id: $id) { id } }', { id: created.apiKey.id }, admin));
  };
  try {
    return { tenant: await callerTenant(post, headers), sink: serverSink(post, headers), close: revoke };
  } catch (error) {
    await revoke().catch(() => {});
    throw error;
  }
}

type Post = (query: string, variables: Record<string, unknown>, headers: Record<string, string>) => Promise<Answer>;

async function callerTenant(post: Post, headers: Record<string, string>): Promise<{ slug: string; placement: string }> {
  return orThrow(await post('{ tenant { slug placement } }', {}, headers)).tenant;
}

function serverSink(post: Post, headers: Record<string, string>): IngestSink {
  return {
    // The server holds its own MAX_BATCH_SIZE; a batch over it stops the run with its message.
    maxBatchSize: Number.MAX_SAFE_INTEGER,
    // The server checks every document; one it refuses comes back as BAD_USER_INPUT.
    validate: () => {},
    async write(documents: DocumentInput[]) {
      for (let retries = 0; ; retries += 1) {
        const answer = await post(UPSERT, { documents }, headers);
        const error = answer.errors?.[0];
        if (!error) return;
        const code = error.extensions?.code;
        if (code === 'RATE_LIMITED' && retries < MAX_RATE_LIMITED_RETRIES) {
          await new Promise((resolve) => setTimeout(resolve, 1000 * (error.extensions?.retryAfterSeconds ?? 1)));
          continue;
        }
        if (code === 'BAD_USER_INPUT' && error.extensions?.field === 'documents') {
          // A refusal of the batch as a whole (its size) is no single document's fault.
          throw new AppError('FAILED_PRECONDITION', `the server refused a batch of ${documents.length}: ${error.message} (lower --batch-size)`);
        }
        // A batch over the server's MAX_REQUEST_BYTES is sent again a document at a time, and a
        // document over it alone is refused like an invalid one.
        if (code === 'PAYLOAD_TOO_LARGE') throw new AppError('BAD_USER_INPUT', error.message);
        throw asAppError(error);
      }
    },
  };
}

export async function postGraphQL(url: string, query: string, variables: Record<string, unknown>, headers: Record<string, string>): Promise<Answer> {
  let response: Response;
  try {
    response = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'application/json', ...headers },
      body: jsonText({ query, variables }),
    });
  } catch (error) {
    throw new Error(`cannot reach the server at ${url}: ${describeCause(error)}`, { cause: error });
  }
  const text = await response.text();
  try {
    return { status: response.status, ...(JSON.parse(text) as Omit<Answer, 'status'>) };
  } catch {
    throw new Error(`the server at ${url} answered ${response.status} without a GraphQL body: ${text.slice(0, 200)}`);
  }
}

export function orThrow(answer: Answer): Record<string, any> {
  const error = answer.errors?.[0];
  if (error) throw asAppError(error);
  return answer.data ?? {};
}

function asAppError(error: GraphQLError): AppError {
  const code = (ERROR_CODES as readonly string[]).includes(error.extensions?.code ?? '') ? (error.extensions!.code as ErrorCode) : 'INTERNAL_SERVER_ERROR';
  return new AppError(code, error.message, error.extensions?.field);
}

function describeCause(error: unknown): string {
  const cause = (error as { cause?: { code?: string; message?: string } }).cause;
  return cause?.code ?? cause?.message ?? (error instanceof Error ? error.message : String(error));
}

/**
 * JSON.stringify, except that -0 stays -0: JSON.stringify prints it as 0, and an archive's
 * vectors must reach the server bit for bit (JSON.parse reads "-0" back as -0).
 */
export function jsonText(value: unknown): string {
  if (typeof value === 'number') return Object.is(value, -0) ? '-0' : JSON.stringify(value);
  if (Array.isArray(value)) return `[${value.map((item) => (item === undefined ? 'null' : jsonText(item))).join(',')}]`;
  if (value !== null && typeof value === 'object' && typeof (value as { toJSON?: unknown }).toJSON !== 'function') {
    const entries = Object.entries(value).filter(([, item]) => item !== undefined && typeof item !== 'function');
    return `{${entries.map(([key, item]) => `${JSON.stringify(key)}:${jsonText(item)}`).join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
}
