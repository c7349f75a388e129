import { once } from 'node:events';
import { Worker } from 'node:worker_threads';

/** A PostgreSQL the application can reach by URL, whichever engine serves it. */
export type Engine = {
  kind: 'embedded' | 'external';
  url: string;
  /** How many pooled connections the engine takes without stalling. */
  maxPoolSize: number;
  close(): Promise<void>;
};

export function externalEngine(url: string, poolSize: number): Engine {
  return { kind: 'external', url, maxPoolSize: poolSize, close: async () => {} };
}

/**
 * Starts PGlite (PostgreSQL in WASM, with pgvector) in a worker thread and serves it on a loopback
 * port, so the application talks to it through the same pg Pool and Kysely code as to an external
 * server. dataDir is a directory path, or `memory://` for a throwaway database.
 */
export async function startEmbeddedEngine(options: { dataDir: string; port: number }): Promise<Engine> {
  const worker = new Worker(new URL('./embedded-engine.worker.mjs', import.meta.url), {
    workerData: { dataDir: options.dataDir, listenPort: options.port },
  });
  const [started] = (await Promise.race([once(worker, 'message'), once(worker, 'error').then(([error]) => { throw error; })])) as [
    { ready: boolean; conn?: string; error?: string },
  ];
  if (!started.ready) {
    await worker.terminate();
    throw new Error(`The embedded PostgreSQL engine did not start: ${started.error}`);
  }
  let closing: Promise<void> | undefined;
  return {
    kind: 'embedded',
    url: `postgres://postgres@${started.conn}/postgres?sslmode=disable`,
    maxPoolSize: 1,
    close() {
      // A clean close checkpoints PGlite's files; the worker ends once it has.
      closing ??= (async () => {
        const closed = once(worker, 'message');
        worker.postMessage('close');
        const [reply] = (await closed) as [{ closed: boolean; error?: string }];
        await worker.terminate();
        if (!reply.closed) throw new Error(`The embedded PostgreSQL engine did not close cleanly: ${reply.error}`);
      })();
      return closing;
    },
  };
}
