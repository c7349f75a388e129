import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { describe, expect, it } from 'vitest';
import type { EmbeddingProvider } from '../../src/embeddings/embedding-provider.js';
import { createGracefulShutdown } from '../../src/lifecycle/graceful-shutdown.js';
import { createLogger } from '../../src/logging/logger.js';
import { createHashingEmbedder } from '../helpers/hashing-embedder.js';
import { startTestApp } from '../helpers/test-app.js';

/** The test embedder behind a gate: document embeddings wait until the test opens it. */
function gatedEmbedder() {
  const { provider } = createHashingEmbedder();
  let opened: () => void = () => {};
  const gate = new Promise<void>((resolve) => (opened = resolve));
  let waiting = 0;
  const gated: EmbeddingProvider = {
    ...provider,
    embedDocuments: async (texts) => {
      waiting += 1;
      await gate;
      return provider.embedDocuments(texts);
    },
  };
  return { provider: gated, open: () => opened(), waiting: () => waiting };
}

async function until(condition: () => boolean) {
  while (!condition()) await new Promise((resolve) => setTimeout(resolve, 10));
}

/** The real app over real HTTP, with shutdown wired as main.ts wires it (exit recorded, not taken). */
async function serve(timeoutMs: number) {
  const embedder = gatedEmbedder();
  const t = await startTestApp({ embedder: embedder.provider });
  const slug = await t.createTenant('drain');
  const server = createServer(t.app.yoga);
  const exits: number[] = [];
  const lifecycle = createGracefulShutdown({
    server,
    app: t.app,
    timeoutMs,
    logger: createLogger({ logLevel: 'silent' }),
    exit: (code) => exits.push(code),
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/graphql`;
  const write = fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-tenant-id': slug },
    body: JSON.stringify({ query: 'mutation { upsertDocuments(documents: [{ content: "held" }]) { documents { externalId } } }' }),
  });
  await until(() => embedder.waiting() === 1);
  return { t, embedder, lifecycle, exits, write };
}

describe('createGracefulShutdown', () => {
  it('turns /ready 503, lets the in-flight request finish, then closes the app and exits 0; a second signal exits 1 at once', async () => {
    const { t, embedder, lifecycle, exits, write } = await serve(60_000);
    expect(lifecycle.inFlight).toBe(1);
    const stopped = lifecycle.shutdown('SIGTERM');
    expect(await t.app.readiness.check()).toMatchObject({ ready: false, checks: { server: 'shutting down' } });

    await lifecycle.shutdown('SIGTERM');
    expect(exits).toEqual([1]);

    embedder.open();
    const response = await write;
    expect(response.status).toBe(200);
    expect((await response.json()).data.upsertDocuments.documents).toHaveLength(1);
    await stopped;
    expect(exits).toEqual([1, 0]);
    expect(t.unexpectedErrors).toEqual([]);
  });

  it('cuts connections still busy at the timeout, then still closes the app and exits 0', async () => {
    const { embedder, lifecycle, exits, write } = await serve(0);
    const stopped = lifecycle.shutdown('SIGTERM');
    await expect(write).rejects.toThrow();
    // The held model call must end for the embedder to close; its request is already gone.
    embedder.open();
    await stopped;
    expect(exits).toEqual([0]);
  });
});
