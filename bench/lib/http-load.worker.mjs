// @ts-check
// A load generator in its own thread: it sends GraphQL-over-HTTP POSTs with keep-alive
// connections, `clients` at a time, and times each one. Run apart from the server's thread so
// the client's own HTTP and JSON work is not charged to the server's event loop. Plain JavaScript
// so it starts the same under node and tsx.
import { Agent, request } from 'node:http';
import { performance } from 'node:perf_hooks';
import { parentPort, workerData } from 'node:worker_threads';

if (!parentPort) throw new Error('http-load.worker must run in a worker thread');
const port = parentPort;
/** @type {{ url: string, headers: Record<string, string>, maxSockets: number }} */
const { url, headers, maxSockets } = workerData;
const agent = new Agent({ keepAlive: true, maxSockets });
const target = new URL(url);

/** @param {string} body @returns {Promise<unknown>} */
function post(body) {
  return new Promise((resolve, reject) => {
    const req = request(
      {
        agent,
        host: target.hostname,
        port: target.port,
        path: target.pathname,
        method: 'POST',
        headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body), ...headers },
      },
      (res) => {
        /** @type {Buffer[]} */
        const chunks = [];
        res.on('data', (chunk) => chunks.push(chunk));
        res.on('end', () => {
          const parsed = JSON.parse(Buffer.concat(chunks).toString('utf8'));
          if (parsed.errors || !parsed.data) reject(new Error(`GraphQL error: ${JSON.stringify(parsed.errors)}`));
          else resolve(parsed.data);
        });
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

port.on('message', async (/** @type {{ query: string, variables: unknown[], clients: number, keep: number } | 'close'} */ message) => {
  if (message === 'close') {
    agent.destroy();
    port.close();
    return;
  }
  try {
    const { query, variables, clients, keep } = message;
    const latenciesMs = new Array(variables.length);
    /** @type {unknown[]} */
    const results = [];
    let next = 0;
    const started = performance.now();
    const client = async () => {
      while (next < variables.length) {
        const index = next++;
        const body = JSON.stringify({ query, variables: variables[index] });
        const callStarted = performance.now();
        const data = await post(body);
        latenciesMs[index] = performance.now() - callStarted;
        if (index < keep) results[index] = data;
      }
    };
    await Promise.all(Array.from({ length: clients }, client));
    port.postMessage({ latenciesMs, seconds: (performance.now() - started) / 1000, results });
  } catch (error) {
    port.postMessage({ error: error instanceof Error ? error.message : String(error) });
  }
});
