import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { embeddingFor } from '../helpers/openai-embeddings-server.js';
import { ADMIN_TOKEN } from '../helpers/test-app.js';

/**
 * An OpenAI-compatible /v1/embeddings stand-in that can hold its answers: while closed, requests
 * wait until release(). Holding the model call keeps GraphQL requests in flight for as long as a
 * test needs, without guessing at timings.
 */
export async function startGatedEmbeddingsServer(dimensions = 16) {
  let open = true;
  const held: (() => void)[] = [];
  const received: string[] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as { input: string | string[]; model: string };
      const inputs = typeof body.input === 'string' ? [body.input] : body.input;
      received.push(...inputs);
      const answer = () => {
        const data = inputs.map((text, index) => ({ object: 'embedding', index, embedding: embeddingFor(text, dimensions) }));
        res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ object: 'list', data, model: body.model }));
      };
      if (open) answer();
      else held.push(answer);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1`;
  return {
    baseUrl,
    /** The environment of a server process (npm start, a CLI) on dataDir that embeds through this stand-in. */
    serverEnv: (dataDir: string): Record<string, string> => ({
      NODE_ENV: 'test',
      DATA_DIR: dataDir,
      HOST: '127.0.0.1',
      PORT: '0',
      SEED_DEMO: 'false',
      ADMIN_TOKEN,
      LOG_LEVEL: 'info',
      EMBEDDING_PROVIDER: 'openai',
      EMBEDDING_BASE_URL: baseUrl,
      EMBEDDING_MODEL: 'gated-test-model',
      EMBEDDING_DIMENSIONS: String(dimensions),
    }),
    /** Every text the server was asked to embed, in arrival order. */
    received,
    hold() {
      open = false;
    },
    release() {
      open = true;
      for (const answer of held.splice(0)) answer();
    },
    close: () => {
      server.closeAllConnections();
      return new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
