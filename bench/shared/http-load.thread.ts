import { once } from 'node:events';
import { connect, type Socket } from 'node:net';
import { parentPort, workerData } from 'node:worker_threads';
import { runConcurrentPass } from './concurrent-pass.js';

/** What http-load-client.ts asks of this thread: one pass, or to close. */
export type PassRequest = {
  query: string;
  /** Names a variables list: sent with its first pass, kept by this thread for the next ones. */
  variablesId: number;
  variables?: readonly Record<string, unknown>[];
  clients: number;
  keep: number;
  /** Per request, headers of its own beside the client's (a tenant per query); same order as variables. */
  headers?: readonly Record<string, string>[];
  /** Send the operation's sha256 (a persisted operation the server already knows) instead of its text. */
  persisted?: string;
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
const variablesById = new Map<number, readonly Record<string, unknown>[]>();

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

async function runPass(client: LeanHttpClient, { query, variablesId, clients, keep, headers, persisted, ...sent }: PassRequest) {
  if (sent.variables) variablesById.set(variablesId, sent.variables);
  const variables = variablesById.get(variablesId);
  if (!variables) throw new Error(`variables list ${variablesId} was never sent to the load thread`);
  const operation = persisted ? { extensions: { persistedQuery: { version: 1, sha256Hash: persisted } } } : { query };
  const requests = variables.map((v, i) => client.prepare(JSON.stringify({ ...operation, variables: v }), headers?.[i]));
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

type LeanResponse = { status: number; body: string };

const HEADER_END = Buffer.from('\r\n\r\n');

/**
 * A load generator's HTTP/1.1 client, as lean as wrk's or autocannon's: one keep-alive socket per
 * concurrent client, requests written as prepared bytes, responses framed by Content-Length. On
 * a 2-core machine every microsecond the client spends is taken from the server it measures;
 * node:http's client costs about 0.4-0.6 ms of CPU per request (measured per thread), which
 * would be charged to the server's throughput. Open one for a pass and close it after: a
 * connection left idle meets the server's keep-alive timeout. Anything it does not understand (a
 * chunked body, a connection closed mid-answer) fails the request rather than being guessed at.
 */
async function createLeanHttpClient(url: string, connections: number, headers: Record<string, string>) {
  const target = new URL(url);
  const head = [
    `POST ${target.pathname} HTTP/1.1`,
    `host: ${target.host}`,
    'content-type: application/json',
    ...Object.entries(headers).map(([name, value]) => `${name}: ${value}`),
  ].join('\r\n');
  const idle: Connection[] = await Promise.all(Array.from({ length: connections }, () => openConnection(target)));
  const open = [...idle];

  return {
    /** The request, prepared: what `send` writes. `extra` headers are this request's own (a tenant's). */
    prepare(body: string, extra: Record<string, string> = {}): Buffer {
      const bytes = Buffer.from(body);
      const own = Object.entries(extra).map(([name, value]) => `\r\n${name}: ${value}`).join('');
      return Buffer.concat([Buffer.from(`${head}${own}\r\ncontent-length: ${bytes.length}\r\n\r\n`), bytes]);
    },
    async send(request: Buffer): Promise<LeanResponse> {
      const connection = idle.pop();
      if (!connection) throw new Error(`more concurrent requests than the ${connections} connections`);
      const response = await connection.exchange(request);
      idle.push(connection);
      return response;
    },
    close() {
      for (const connection of open) connection.socket.destroy();
    },
  };
}

type Connection = { socket: Socket; exchange(request: Buffer): Promise<LeanResponse> };

async function openConnection(target: URL): Promise<Connection> {
  const socket = connect(Number(target.port), target.hostname);
  socket.setNoDelay(true);
  await once(socket, 'connect');
  let received: Buffer = Buffer.alloc(0);
  let pending: { resolve(response: LeanResponse): void; reject(error: Error): void } | undefined;
  const fail = (error: Error) => {
    pending?.reject(error);
    pending = undefined;
  };
  socket.on('data', (chunk: Buffer) => {
    received = received.length === 0 ? chunk : Buffer.concat([received, chunk]);
    const framed = frame(received);
    if (framed instanceof Error) return fail(framed);
    if (!framed) return;
    received = received.subarray(framed.length);
    const answer = pending;
    pending = undefined;
    answer?.resolve(framed.response);
  });
  socket.on('error', fail);
  socket.on('close', () => fail(new Error('the server closed the connection')));
  return {
    socket,
    exchange(request) {
      return new Promise((resolve, reject) => {
        pending = { resolve, reject };
        socket.write(request);
      });
    },
  };
}

/** One whole response at the start of the buffer and its length in bytes, undefined until it has all arrived. */
function frame(buffer: Buffer): { response: LeanResponse; length: number } | Error | undefined {
  const headerEnd = buffer.indexOf(HEADER_END);
  if (headerEnd < 0) return undefined;
  const header = buffer.toString('latin1', 0, headerEnd);
  const status = Number(header.slice(9, 12));
  const contentLength = /\r\ncontent-length: *(\d+)/i.exec(header)?.[1];
  if (contentLength === undefined) return new Error(`response without content-length: ${header.split('\r\n')[0]}`);
  const length = headerEnd + HEADER_END.length + Number(contentLength);
  if (buffer.length < length) return undefined;
  return { response: { status, body: buffer.toString('utf8', headerEnd + HEADER_END.length, length) }, length };
}
