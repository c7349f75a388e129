import { parentPort, workerData } from 'node:worker_threads';
import { runConcurrentPass } from './concurrent-pass.js';
import { createLeanHttpClient } from './lean-http-client.js';

/** What http-load-client.ts asks of this thread: one pass, or to close. */
export type PassRequest = {
  query: string;
  variables: readonly Record<string, unknown>[];
  clients: number;
  keep: number;
  /** Per request, headers of its own beside the client's (a tenant per query); same order as variables. */
  headers?: readonly Record<string, string>[];
};

type Body = { data?: unknown; errors?: { message?: string; extensions?: { code?: string } }[] };
type LeanHttpClient = Awaited<ReturnType<typeof createLeanHttpClient>>;

// The load generator's thread (see http-load-client.ts): keep-alive GraphQL over HTTP, timed per
// request; any answer but a full one fails the pass. Requests are serialized before the pass
// starts, as wrk and autocannon prepare theirs: the timing is the server's answer, not the
// client's JSON.stringify.
if (!parentPort) throw new Error('http-load.thread must run in a worker thread');
const port = parentPort;
const { url, headers, maxSockets } = workerData as { url: string; headers: Record<string, string>; maxSockets: number };

port.on('message', async (message: PassRequest | 'close') => {
  if (message === 'close') {
    port.close();
    return;
  }
  let client: LeanHttpClient | undefined;
  try {
    client = await createLeanHttpClient(url, maxSockets, headers);
    port.postMessage(await runPass(client, message));
  } catch (error) {
    port.postMessage({ error: error instanceof Error ? error.message : String(error) });
  } finally {
    client?.close();
  }
});

async function runPass(client: LeanHttpClient, { query, variables, clients, keep, headers }: PassRequest) {
  const requests = variables.map((v, i) => client.prepare(JSON.stringify({ query, variables: v }), headers?.[i]));
  const pass = await runConcurrentPass(requests, clients, async (request) => {
    const { status, body } = await client.send(request);
    const parsed = JSON.parse(body) as Body;
    if (status !== 200 || parsed.errors || parsed.data == null) {
      const codes = parsed.errors?.map((error) => error.extensions?.code ?? 'NO_CODE') ?? [`HTTP_${status}`];
      throw new Error(`GraphQL request failed: ${codes.join(', ')} ${parsed.errors?.[0]?.message ?? ''}`);
    }
    return parsed.data;
  });
  return { latenciesMs: pass.latenciesMs, seconds: pass.seconds, results: pass.results.slice(0, keep) };
}
