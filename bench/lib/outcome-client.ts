import { Agent, request } from 'node:http';
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
  /** performance.now() when the request was sent and when its outcome was known. */
  startedAt: number;
  endedAt: number;
  latencyMs: number;
};

type Body<T> = { data?: T | null; errors?: { message?: string; extensions?: { code?: string } }[] };

/**
 * GraphQL over node:http with keep-alive connections (fetch adds latency that would be charged to
 * the server). timeoutMs bounds each request, so a hung server shows up as CLIENT_TIMEOUT.
 */
export function createOutcomeClient(url: string, options: { maxSockets: number; timeoutMs?: number; baseHeaders?: Record<string, string> }) {
  const agent = new Agent({ keepAlive: true, maxSockets: options.maxSockets });
  const target = new URL(url);
  const timeoutMs = options.timeoutMs ?? 60_000;

  function send<T>(query: string, variables: Record<string, unknown>, headers: Record<string, string> = {}): Promise<Outcome<T>> {
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
      const req = request(
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
              ...(parsed.data ? { data: parsed.data } : {}),
            });
          });
        },
      );
      req.setTimeout(timeoutMs, () => {
        failed('CLIENT_TIMEOUT', `no answer within ${timeoutMs} ms`);
        req.destroy();
      });
      req.on('error', (error: NodeJS.ErrnoException) => failed(error.code ?? error.message, error.message));
      req.end(body);
    });
  }

  return { send, close: () => agent.destroy() };
}

export type OutcomeClient = ReturnType<typeof createOutcomeClient>;
