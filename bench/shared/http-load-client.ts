import { once } from 'node:events';
import { Worker } from 'node:worker_threads';
import type { ConcurrentPass } from './concurrent-pass.js';
import type { PassRequest } from './http-load.thread.js';

export type HttpLoadClient = {
  /**
   * Sends the operation once per variables object, `clients` at a time, from the load thread;
   * the first `keep` responses' data come back as results (the rest are timed only). `headers`,
   * when given, adds each request's own (e.g. its tenant's x-tenant-id), in variables' order.
   */
  pass<T>(
    query: string,
    variables: readonly Record<string, unknown>[],
    clients: number,
    keep: number,
    headers?: readonly Record<string, string>[],
    /** The operation's sha256, sent instead of its text (automatic persisted queries: register it first). */
    persisted?: string,
  ): Promise<ConcurrentPass<T>>;
  close(): Promise<void>;
};

/**
 * A GraphQL-over-HTTP load generator in a worker thread (http-load.thread.ts): its HTTP and JSON
 * work runs beside the server's event loop instead of on it, as a real client's would. The JSON
 * request bodies are built in that thread too; only each pass's inputs and figures cross.
 */
export function startHttpLoadClient(url: string, headers: Record<string, string>, maxSockets: number): HttpLoadClient {
  const entry = new URL('./http-load.thread.ts', import.meta.url).href;
  const worker = new Worker(new URL('./typescript-worker.mjs', import.meta.url), { workerData: { entry, url, headers, maxSockets } });
  // Each variables list crosses to the thread once: cloning hundreds of vectors into it on every
  // pass was charged to the server thread it measures (2.5% of its CPU in a profile).
  const sent = new WeakMap<readonly Record<string, unknown>[], number>();
  let nextVariablesId = 0;
  return {
    async pass<T>(
      query: string,
      variables: readonly Record<string, unknown>[],
      clients: number,
      keep: number,
      headers?: readonly Record<string, string>[],
      persisted?: string,
    ) {
      const reply = once(worker, 'message');
      const fresh = !sent.has(variables);
      if (fresh) sent.set(variables, nextVariablesId++);
      const request: PassRequest = { query, variablesId: sent.get(variables)!, clients, keep, headers, persisted, ...(fresh ? { variables } : {}) };
      worker.postMessage(request);
      const [answer] = (await reply) as [ConcurrentPass<T> & { error?: string }];
      if (answer.error) throw new Error(answer.error);
      return answer;
    },
    async close() {
      worker.postMessage('close');
      await once(worker, 'exit');
    },
  };
}
