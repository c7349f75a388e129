import { parentPort, workerData } from 'node:worker_threads';
import { runConcurrentPass } from './concurrent-pass.js';
import { createOutcomeClient } from './outcome-client.js';

/** What http-load-client.ts asks of this thread: one pass, or to close. */
export type PassRequest = { query: string; variables: readonly Record<string, unknown>[]; clients: number; keep: number };

// The load generator's thread (see http-load-client.ts): keep-alive GraphQL over HTTP, timed per
// request; any answer but a full one fails the pass.
if (!parentPort) throw new Error('http-load.thread must run in a worker thread');
const port = parentPort;
const { url, headers, maxSockets } = workerData as { url: string; headers: Record<string, string>; maxSockets: number };
const client = createOutcomeClient(url, { maxSockets, baseHeaders: headers });

port.on('message', async (message: PassRequest | 'close') => {
  if (message === 'close') {
    client.close();
    port.close();
    return;
  }
  try {
    const { query, variables, clients, keep } = message;
    const pass = await runConcurrentPass(variables, clients, async (variablesOfOne) => {
      const outcome = await client.send(query, variablesOfOne);
      if (!outcome.ok) throw new Error(`GraphQL request failed: ${outcome.codes.join(', ')} ${outcome.message ?? ''}`);
      return outcome.data;
    });
    port.postMessage({ latenciesMs: pass.latenciesMs, seconds: pass.seconds, results: pass.results.slice(0, keep) });
  } catch (error) {
    port.postMessage({ error: error instanceof Error ? error.message : String(error) });
  }
});
