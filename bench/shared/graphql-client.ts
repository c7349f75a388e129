import { Agent, request as httpRequest } from 'node:http';
import { performance } from 'node:perf_hooks';

/**
 * What became of one GraphQL request, whatever it was: a full answer, GraphQL errors, another
 * HTTP status, a network failure or no answer in time. Fault benchmarks count all of these, so
 * nothing here throws.
 */
export type Outcome<T = unknown> = {
  /** HTTP 200, `data` present and no `errors`. */
  ok: boolean;
  /** HTTP status; 0 when no response came (network error or client timeout). */
  status: number;
  /** extensions.code of each GraphQL error (NO_CODE when absent), or HTTP_<status> for a non-200 without errors. */
  codes: string[];
  /** First error message, for reports. */
  message?: string;
  /** ECONNREFUSED, ECONNRESET, CLIENT_TIMEOUT, BAD_JSON, ... when no usable response came. */
  networkError?: string;
  data?: T;
  /** The GraphQL errors as received, when there were any. */
  errors?: GraphqlError[];
  /** performance.now() when the request was sent and when its outcome was known. */
  startedAt: number;
  endedAt: number;
  latencyMs: number;
};

type GraphqlError = { message?: string; extensions?: { code?: string } };

type Body<T> = { data?: T | null; errors?: GraphqlError[] };

/** A request that did not come back as a full answer: its status and body, for a caller that looks closer. */
export class GraphqlRequestError extends Error {
  constructor(
    message: string,
    readonly status: number,
    readonly body: unknown,
  ) {
    super(message);
    this.name = 'GraphqlRequestError';
  }
}

type GraphqlClientOptions = {
  /** Keep-alive connections at most (default: no limit). */
  maxSockets?: number;
  /** Bounds each request, so a hung server shows up as CLIENT_TIMEOUT (default: no bound). */
  timeoutMs?: number;
  /** Sent with every request (an admin token). */
  baseHeaders?: Record<string, string>;
};

/**
 * GraphQL over node:http with keep-alive connections (fetch adds latency that would be charged to
 * the server). Two ways to ask: `send` resolves every outcome, for the fault and load benchmarks
 * that count them; `request` returns the data or throws, for setup and timed search passes.
 */
export function createGraphqlClient(url: string, options: GraphqlClientOptions = {}) {
  const agent = new Agent({ keepAlive: true, ...(options.maxSockets ? { maxSockets: options.maxSockets } : {}) });
  const target = new URL(url);
  const timeoutMs = options.timeoutMs;

  function send<T>(query: string, variables: Record<string, unknown> = {}, headers: Record<string, string> = {}): Promise<Outcome<T>> {
    const body = JSON.stringify({ query, variables });
    const startedAt = performance.now();
    return new Promise((resolve) => {
      let settled = false;
      const finish = (outcome: Omit<Outcome<T>, 'startedAt' | 'endedAt' | 'latencyMs'>) => {
        if (settled) return;
        settled = true;
        const endedAt = performance.now();
        resolve({ ...outcome, startedAt, endedAt, latencyMs: endedAt - startedAt });
      };
      const failed = (networkError: string, message?: string) =>
        finish({ ok: false, status: 0, codes: [networkError], networkError, ...(message ? { message } : {}) });
      const req = httpRequest(
        {
          agent,
          host: target.hostname,
          port: target.port,
          path: target.pathname,
          method: 'POST',
          headers: {
            'content-type': 'application/json',
            'content-length': Buffer.byteLength(body),
            ...options.baseHeaders,
            ...headers,
          },
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (chunk: Buffer) => chunks.push(chunk));
          res.on('error', (error: NodeJS.ErrnoException) => failed(error.code ?? 'RESPONSE_ERROR', error.message));
          res.on('aborted', () => failed('RESPONSE_ABORTED'));
          res.on('end', () => {
            const status = res.statusCode ?? 0;
            const text = Buffer.concat(chunks).toString('utf8');
            let parsed: Body<T>;
            try {
              parsed = JSON.parse(text) as Body<T>;
            } catch {
              return finish({ ok: false, status, codes: [`HTTP_${status}`], networkError: 'BAD_JSON', message: text.slice(0, 200) });
            }
            const errors = parsed.errors ?? [];
            const codes = errors.map((error) => error.extensions?.code ?? 'NO_CODE');
            if (errors.length === 0 && status !== 200) codes.push(`HTTP_${status}`);
            const ok = status === 200 && errors.length === 0 && parsed.data !== null && parsed.data !== undefined;
            if (!ok && codes.length === 0) codes.push('NO_DATA');
            finish({
              ok,
              status,
              codes,
              ...(errors[0]?.message ? { message: errors[0].message } : {}),
              ...(errors.length > 0 ? { errors } : {}),
              ...(parsed.data ? { data: parsed.data } : {}),
            });
          });
        },
      );
      if (timeoutMs !== undefined) {
        req.setTimeout(timeoutMs, () => {
          failed('CLIENT_TIMEOUT', `no answer within ${timeoutMs} ms`);
          req.destroy();
        });
      }
      req.on('error', (error: NodeJS.ErrnoException) => failed(error.code ?? error.message, error.message));
      req.end(body);
    });
  }

  /** POSTs one operation; throws GraphqlRequestError on a non-2xx status, any entry in `errors` or no data. */
  async function request<T>(query: string, variables: Record<string, unknown> = {}, headers: Record<string, string> = {}): Promise<T> {
    const outcome = await send<T>(query, variables, { accept: 'application/graphql-response+json, application/json', ...headers });
    if (outcome.ok) return outcome.data as T;
    if (outcome.networkError && outcome.networkError !== 'BAD_JSON') {
      throw new GraphqlRequestError(`no response: ${outcome.networkError} ${outcome.message ?? ''}`, 0, undefined);
    }
    if (outcome.networkError === 'BAD_JSON') {
      throw new GraphqlRequestError(`HTTP ${outcome.status}, body is not JSON: ${outcome.message ?? ''}`, outcome.status, outcome.message);
    }
    const body = { errors: outcome.errors, data: outcome.data };
    if (outcome.errors) {
      const described = outcome.errors.map((error) => `${error.extensions?.code ?? 'NO_CODE'}: ${error.message}`);
      throw new GraphqlRequestError(`GraphQL errors (HTTP ${outcome.status}): ${described.join('; ')}`, outcome.status, body);
    }
    throw new GraphqlRequestError(`HTTP ${outcome.status}: ${outcome.codes.join(', ')}`, outcome.status, body);
  }

  return { send, request, close: () => agent.destroy() };
}

export type GraphqlClient = ReturnType<typeof createGraphqlClient>;
