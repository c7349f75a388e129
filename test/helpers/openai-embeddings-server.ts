import { createHash } from 'node:crypto';
import { createServer, type IncomingHttpHeaders, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * How the server answers one request. `ok` is a real answer (optionally late, or with `data` out of
 * index order as real servers may send it); the others are the failures a hosted API produces.
 */
export type EmbeddingsReply =
  | { kind: 'ok'; delayMs?: number; shuffle?: boolean }
  | { kind: 'rate-limited'; retryAfter?: string; retryAfterMs?: string; code?: string }
  | { kind: 'server-error'; status?: 500 | 502 | 503; retryAfter?: string }
  | { kind: 'malformed-json' }
  | { kind: 'wrong-count' }
  | { kind: 'wrong-dimension'; dimensions: number }
  | { kind: 'non-finite' }
  | { kind: 'error'; status: number; message: string; type?: string; code?: string | null };

export type RecordedRequest = {
  method: string;
  path: string;
  headers: IncomingHttpHeaders;
  /** The parsed JSON body, or the raw text when it is not JSON. */
  body: unknown;
  /** `input` as an array (a single string becomes one element). */
  inputs: string[];
  /** performance.now() when the request arrived. */
  receivedAt: number;
  reply: EmbeddingsReply['kind'] | 'invalid';
};

export type OpenAiEmbeddingsServerOptions = {
  /** The model's native vector length (a `dimensions` field in the body shortens it). Default 16. */
  dimensions?: number;
  /** When set, requests must carry `Authorization: Bearer <apiKey>`, else 401 as OpenAI answers. */
  apiKey?: string;
  /** Answer 400 to a `dimensions` field, as models that cannot shorten do. */
  rejectDimensions?: boolean;
  /** Inputs per request (OpenAI: 2048). */
  maxInputs?: number;
  /** Per-input context, in this server's tokens (UTF-8 bytes / 4): over it, OpenAI's context-length 400. */
  maxInputTokens?: number;
  /** Summed over a request's inputs: over it, OpenAI's max_tokens_per_request 400. */
  maxRequestTokens?: number;
};

/** The server's deterministic vector for a text: hash-derived, unit length. */
export function embeddingFor(text: string, dimensions: number): number[] {
  const values: number[] = [];
  for (let block = 0; values.length < dimensions; block += 1) {
    const hash = createHash('sha256').update(`${block}:${text}`).digest();
    for (let i = 0; i + 4 <= hash.length && values.length < dimensions; i += 4) {
      values.push(hash.readInt32BE(i) / 2 ** 31);
    }
  }
  const norm = Math.hypot(...values) || 1;
  return values.map((value) => value / norm);
}

/**
 * A local stand-in for POST /v1/embeddings that speaks OpenAI's protocol, records every request,
 * and fails on script: `script(...)` queues replies for the next requests in arrival order, and
 * `otherwise(...)` sets the reply once the queue is empty (default `ok`).
 */
export async function startOpenAiEmbeddingsServer(options: OpenAiEmbeddingsServerOptions = {}) {
  const nativeDimensions = options.dimensions ?? 16;
  const requests: RecordedRequest[] = [];
  const queue: EmbeddingsReply[] = [];
  let fallback: EmbeddingsReply = { kind: 'ok' };
  let inFlight = 0;
  let maxInFlight = 0;

  const server = createServer((req, res) => {
    inFlight += 1;
    maxInFlight = Math.max(maxInFlight, inFlight);
    res.on('close', () => (inFlight -= 1));
    handle(req, res).catch((error: unknown) => {
      if (!res.headersSent) send(res, 500, { error: { message: String(error), type: 'server_error', code: null } });
    });
  });

  async function handle(req: IncomingMessage, res: ServerResponse) {
    const receivedAt = performance.now();
    const raw = await readBody(req);
    const body = parseJson(raw);
    const record: RecordedRequest = {
      method: req.method ?? '',
      path: req.url ?? '',
      headers: req.headers,
      body: body ?? raw,
      inputs: [],
      receivedAt,
      reply: 'invalid',
    };
    requests.push(record);

    if (req.method !== 'POST' || req.url !== '/v1/embeddings') {
      return invalid(res, 404, `Invalid URL (${req.method} ${req.url})`);
    }
    if (options.apiKey !== undefined && req.headers.authorization !== `Bearer ${options.apiKey}`) {
      const given = (req.headers.authorization ?? '').replace(/^Bearer /, '');
      // Like OpenAI, echo a masked fragment of the key: the provider must not pass it on to clients.
      const masked = `${given.slice(0, 3)}***${given.slice(-2)}`;
      const message = `Incorrect API key provided: ${masked}. You can find your API key in your account.`;
      return send(res, 401, openAiError(message, 'invalid_request_error', 'invalid_api_key'));
    }
    if (!isRecord(body)) {
      return invalid(res, 400, 'We could not parse the JSON body of your request.');
    }
    if (typeof body.model !== 'string') return invalid(res, 400, 'you must provide a model parameter');
    const inputs = typeof body.input === 'string' ? [body.input] : body.input;
    const isText = (input: unknown) => typeof input === 'string' && input !== '';
    if (!Array.isArray(inputs) || inputs.length === 0 || !inputs.every(isText)) {
      return invalid(res, 400, "'$.input' is invalid. Please check the API reference.");
    }
    record.inputs = inputs as string[];
    if (inputs.length > (options.maxInputs ?? 2048)) {
      return invalid(res, 400, `'$.input' is invalid: at most ${options.maxInputs ?? 2048} inputs per request.`);
    }
    const tokens = record.inputs.map((input) => Math.ceil(Buffer.byteLength(input) / 4));
    const longest = Math.max(...tokens);
    if (options.maxInputTokens !== undefined && longest > options.maxInputTokens) {
      const message =
        `This model's maximum context length is ${options.maxInputTokens} tokens, however you requested ` +
        `${longest} tokens (${longest} in your prompt; 0 for the completion). Please reduce your prompt.`;
      return invalid(res, 400, message);
    }
    const total = tokens.reduce((sum, n) => sum + n, 0);
    if (options.maxRequestTokens !== undefined && total > options.maxRequestTokens) {
      const message = `Requested ${total} tokens, max ${options.maxRequestTokens} tokens per request`;
      return send(res, 400, openAiError(message, 'max_tokens_per_request', 'max_tokens_per_request'));
    }
    if (body.dimensions !== undefined && options.rejectDimensions) {
      return invalid(res, 400, 'This model does not support specifying dimensions.');
    }
    const dimensions = typeof body.dimensions === 'number' ? body.dimensions : nativeDimensions;

    const reply = queue.shift() ?? fallback;
    record.reply = reply.kind;
    switch (reply.kind) {
      case 'ok': {
        if (reply.delayMs && !(await waitUnlessClosed(reply.delayMs, res))) return;
        const data = record.inputs.map((input, index) =>
          item(index, encode(embeddingFor(input, dimensions), body.encoding_format)),
        );
        if (reply.shuffle) data.reverse();
        return send(res, 200, { ...list(data, body.model), usage: { prompt_tokens: total, total_tokens: total } });
      }
      case 'rate-limited': {
        const headers: Record<string, string> = {};
        if (reply.retryAfter) headers['retry-after'] = reply.retryAfter;
        if (reply.retryAfterMs) headers['retry-after-ms'] = reply.retryAfterMs;
        const error = openAiError('Rate limit reached for requests', 'requests', reply.code ?? 'rate_limit_exceeded');
        return send(res, 429, error, headers);
      }
      case 'server-error': {
        const message = 'The server had an error while processing your request. Sorry about that!';
        const headers: Record<string, string> = reply.retryAfter ? { 'retry-after': reply.retryAfter } : {};
        return send(res, reply.status ?? 500, openAiError(message, 'server_error', null), headers);
      }
      case 'malformed-json':
        // A body cut off mid-way, as a crashing server or a broken proxy sends it.
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end('{"object":"list","data":[{"object":"embedding","ind');
        return;
      case 'wrong-count': {
        const data = record.inputs.slice(1).map((input, index) => item(index, embeddingFor(input, dimensions)));
        return send(res, 200, list(data, body.model));
      }
      case 'wrong-dimension': {
        const data = record.inputs.map((input, index) => item(index, embeddingFor(input, reply.dimensions)));
        return send(res, 200, list(data, body.model));
      }
      case 'non-finite': {
        // JSON has no NaN or Infinity, but 1e999 is valid JSON that parses to Infinity.
        const vectors = record.inputs.map((input, index) => {
          const values = embeddingFor(input, dimensions).map(String);
          values[0] = '1e999';
          return `{"object":"embedding","index":${index},"embedding":[${values.join(',')}]}`;
        });
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(`{"object":"list","data":[${vectors.join(',')}]}`);
        return;
      }
      case 'error': {
        const error = openAiError(reply.message, reply.type ?? 'invalid_request_error', reply.code ?? null);
        return send(res, reply.status, error);
      }
    }
  }

  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    origin,
    /** Up to and including /v1, as the provider's baseUrl expects. */
    baseUrl: `${origin}/v1`,
    requests,
    /** The most requests the server was handling at once. */
    get maxInFlight() {
      return maxInFlight;
    },
    script(...replies: EmbeddingsReply[]) {
      queue.push(...replies);
    },
    otherwise(reply: EmbeddingsReply) {
      fallback = reply;
    },
    close: () => {
      server.closeAllConnections();
      return new Promise<void>((resolve, reject) => server.close((error) => (error ? reject(error) : resolve())));
    },
  };
}

export type OpenAiEmbeddingsServer = Awaited<ReturnType<typeof startOpenAiEmbeddingsServer>>;

function openAiError(message: string, type: string, code: string | null) {
  return { error: { message, type, param: null, code } };
}

function item(index: number, embedding: number[] | string) {
  return { object: 'embedding', index, embedding };
}

function list(data: unknown[], model: unknown) {
  return { object: 'list', data, model };
}

function invalid(res: ServerResponse, status: number, message: string) {
  send(res, status, openAiError(message, 'invalid_request_error', null));
}

function send(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}) {
  if (res.destroyed) return;
  res.writeHead(status, { 'content-type': 'application/json', ...headers }).end(JSON.stringify(body));
}

/** OpenAI's base64 format: float32 little-endian. */
function encode(vector: number[], format: unknown): number[] | string {
  if (format !== 'base64') return vector;
  const bytes = Buffer.alloc(vector.length * 4);
  vector.forEach((value, i) => bytes.writeFloatLE(value, i * 4));
  return bytes.toString('base64');
}

/** Resolves true after `ms`, or false as soon as the client gives up (timeout, abort). */
function waitUnlessClosed(ms: number, res: ServerResponse): Promise<boolean> {
  return new Promise((resolve) => {
    const timer = setTimeout(() => {
      res.off('close', onClose);
      resolve(!res.destroyed);
    }, ms);
    const onClose = () => {
      clearTimeout(timer);
      resolve(false);
    };
    res.once('close', onClose);
  });
}

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
