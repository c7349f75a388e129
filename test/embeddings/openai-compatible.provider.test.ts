import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { EmbeddingProvider } from '../../src/embeddings/embedding-provider.js';
import type { OpenAiCompatibleProviderOptions } from '../../src/embeddings/openai-compatible.options.js';
import { createOpenAiCompatibleProvider } from '../../src/embeddings/openai-compatible.provider.js';
import { AppError } from '../../src/domain-errors.js';
import {
  embeddingFor,
  startOpenAiEmbeddingsServer,
  type OpenAiEmbeddingsServer,
  type OpenAiEmbeddingsServerOptions,
} from '../helpers/openai-embeddings-server.js';

const MODEL = 'text-embedding-3-small';
const DIMENSIONS = 16;

let server: OpenAiEmbeddingsServer;
const providers: EmbeddingProvider[] = [];

async function restartServer(options: OpenAiEmbeddingsServerOptions) {
  await server.close();
  server = await startOpenAiEmbeddingsServer({ dimensions: DIMENSIONS, ...options });
}

beforeEach(async () => {
  server = await startOpenAiEmbeddingsServer({ dimensions: DIMENSIONS });
});
afterEach(async () => {
  await Promise.all(providers.splice(0).map((provider) => provider.close()));
  await server.close();
});

/**
 * A provider against the local server. Backoff sleeps are recorded and skipped (random 0.5, so a
 * computed delay is half its ceiling), which keeps the suite fast and the waits assertable.
 */
function providerFor(overrides: Partial<OpenAiCompatibleProviderOptions> = {}) {
  const delays: number[] = [];
  const provider = createOpenAiCompatibleProvider({
    baseUrl: server.baseUrl,
    model: MODEL,
    dimensions: DIMENSIONS,
    retryBaseDelayMs: 100,
    retryMaxDelayMs: 5_000,
    timeoutMs: 5_000,
    circuitFailureThreshold: 100,
    sleep: async (ms) => {
      delays.push(ms);
    },
    random: () => 0.5,
    ...overrides,
  });
  providers.push(provider);
  return { provider, delays };
}

async function failure(promise: Promise<unknown>): Promise<AppError> {
  const error = await promise.then(
    () => undefined,
    (reason: unknown) => reason,
  );
  expect(error).toBeInstanceOf(AppError);
  return error as AppError;
}

const texts = (n: number, length = 12) => Array.from({ length: n }, (_, i) => `text ${i} `.padEnd(length, 'x'));
const expected = (inputs: string[], dimensions = DIMENSIONS) => inputs.map((text) => embeddingFor(text, dimensions));

describe('OpenAI-compatible embedding provider: requests', () => {
  it('POSTs the model and inputs to {baseUrl}/embeddings with the Bearer key, and returns the vectors', async () => {
    await restartServer({ apiKey: 'sk-test-key' });
    const { provider } = providerFor({ baseUrl: `${server.baseUrl}/`, apiKey: 'sk-test-key' });
    const inputs = ['first text', 'second text'];
    expect(await provider.embedDocuments(inputs)).toEqual(expected(inputs));
    expect(provider.model).toBe(MODEL);
    expect(provider.dimensions).toBe(DIMENSIONS);
    const [request] = server.requests;
    expect(request?.path).toBe('/v1/embeddings');
    expect(request?.headers.authorization).toBe('Bearer sk-test-key');
    expect(request?.headers['content-type']).toBe('application/json');
    // No `dimensions` or `encoding_format` unless asked: many compatible servers reject them.
    expect(request?.body).toEqual({ model: MODEL, input: inputs });
  });

  it('sends no Authorization header without a key, and `dimensions` only when sendDimensions is set', async () => {
    const { provider } = providerFor({ dimensions: 8, sendDimensions: true });
    expect(await provider.embedQueries(['shortened'])).toEqual(expected(['shortened'], 8));
    expect(server.requests[0]?.headers.authorization).toBeUndefined();
    expect(server.requests[0]?.body).toEqual({ model: MODEL, input: ['shortened'], dimensions: 8 });
  });

  it('prefixes queries and documents with their instructions', async () => {
    const { provider } = providerFor({ queryPrefix: 'query: ', documentPrefix: 'passage: ' });
    expect(await provider.embedQueries(['cats'])).toEqual(expected(['query: cats']));
    expect(await provider.embedDocuments(['cats'])).toEqual(expected(['passage: cats']));
    expect(server.requests.map((request) => request.inputs)).toEqual([['query: cats'], ['passage: cats']]);
  });

  it('decodes base64 float32 vectors when asked for them', async () => {
    const { provider } = providerFor({ encodingFormat: 'base64' });
    const [vector] = await provider.embedDocuments(['compact']);
    expect(server.requests[0]?.body).toMatchObject({ encoding_format: 'base64' });
    embeddingFor('compact', DIMENSIONS).forEach((value, i) => expect(vector?.[i]).toBeCloseTo(value, 6));
  });

  it('answers an empty list without a request, and refuses an empty text as BAD_USER_INPUT', async () => {
    const { provider } = providerFor();
    expect(await provider.embedDocuments([])).toEqual([]);
    const error = await failure(provider.embedDocuments(['fine', '  ']));
    expect(error.code).toBe('BAD_USER_INPUT');
    expect(error.message).toMatch(/Text 1 is empty/);
    expect(server.requests).toHaveLength(0);
  });
});

describe('OpenAI-compatible embedding provider: batching', () => {
  it('splits by input count and reassembles in order', async () => {
    const { provider } = providerFor({ maxBatchInputs: 3 });
    const inputs = texts(7);
    expect(await provider.embedDocuments(inputs)).toEqual(expected(inputs));
    expect(server.requests.map((request) => request.inputs.length)).toEqual([3, 3, 1]);
  });

  it('splits by the estimated token budget (UTF-8 bytes / 3)', async () => {
    // 12-byte texts are 4 estimated tokens each: two fit a 10-token budget, three do not.
    const { provider } = providerFor({ maxBatchTokens: 10 });
    const inputs = texts(5);
    expect(await provider.embedDocuments(inputs)).toEqual(expected(inputs));
    expect(server.requests.map((request) => request.inputs.length)).toEqual([2, 2, 1]);
  });

  it('refuses a single text over the token budget as BAD_USER_INPUT naming the limit, sending nothing', async () => {
    const { provider } = providerFor({ maxBatchTokens: 10 });
    const error = await failure(provider.embedDocuments(['short', 'x'.repeat(31)]));
    expect(error.code).toBe('BAD_USER_INPUT');
    expect(error.message).toMatch(/^Text 1 is about 11 tokens .*the 10-token request limit of embedding model /);
    expect(server.requests).toHaveLength(0);
  });

  it('never has more requests in flight than maxConcurrentRequests, across concurrent calls', async () => {
    server.otherwise({ kind: 'ok', delayMs: 50 });
    const { provider } = providerFor({ maxBatchInputs: 1, maxConcurrentRequests: 2 });
    const [a, b] = [texts(3), texts(3).map((text) => `b ${text}`)];
    const vectors = await Promise.all([provider.embedDocuments(a), provider.embedQueries(b)]);
    expect(vectors).toEqual([expected(a), expected(b)]);
    expect(server.requests).toHaveLength(6);
    expect(server.maxInFlight).toBe(2);
  });

  it('keeps input order when batches finish out of order and `data` comes out of index order', async () => {
    server.script({ kind: 'ok', delayMs: 80, shuffle: true });
    server.otherwise({ kind: 'ok', shuffle: true });
    const { provider } = providerFor({ maxBatchInputs: 3 });
    const inputs = texts(9);
    expect(await provider.embedDocuments(inputs)).toEqual(expected(inputs));
    expect(server.requests).toHaveLength(3);
  });

  it('splits a batch the server finds over its per-request token limit and retries the halves', async () => {
    // The server counts bytes / 4: four 16-byte texts are 16 of its tokens, over its 10.
    await restartServer({ maxRequestTokens: 10 });
    const { provider } = providerFor();
    const inputs = texts(4, 16);
    expect(await provider.embedDocuments(inputs)).toEqual(expected(inputs));
    expect(server.requests.map((request) => [request.inputs.length, request.reply])).toEqual([
      [4, 'invalid'],
      [2, 'ok'],
      [2, 'ok'],
    ]);
  });
});

describe('OpenAI-compatible embedding provider: retries', () => {
  it('honours Retry-After seconds on 429, then succeeds', async () => {
    server.script({ kind: 'rate-limited', retryAfter: '2' });
    const { provider, delays } = providerFor();
    expect(await provider.embedDocuments(['a'])).toEqual(expected(['a']));
    expect(delays).toEqual([2_000]);
    expect(server.requests.map((request) => request.reply)).toEqual(['rate-limited', 'ok']);
  });

  it('honours retry-after-ms and an HTTP-date Retry-After', async () => {
    server.script(
      { kind: 'rate-limited', retryAfterMs: '150' },
      { kind: 'rate-limited', retryAfter: new Date(Date.now() + 3_000).toUTCString() },
    );
    const { provider, delays } = providerFor();
    expect(await provider.embedDocuments(['a'])).toEqual(expected(['a']));
    expect(delays[0]).toBe(150);
    // An HTTP date has whole seconds, so the wait is up to a second short of 3 s.
    expect(delays[1]).toBeGreaterThan(1_000);
    expect(delays[1]).toBeLessThanOrEqual(3_000);
    expect(server.requests).toHaveLength(3);
  });

  it('fails at once with EMBEDDING_UNAVAILABLE when Retry-After is beyond the longest wait', async () => {
    server.script({ kind: 'rate-limited', retryAfter: '120' });
    const { provider, delays } = providerFor();
    const error = await failure(provider.embedDocuments(['a']));
    expect(error.code).toBe('EMBEDDING_UNAVAILABLE');
    expect(error.message).toMatch(/asked to retry after 120 s, more than the 5 s we wait/);
    expect(delays).toEqual([]);
    expect(server.requests).toHaveLength(1);
  });

  it('retries a 500 after a jittered backoff, then succeeds', async () => {
    server.script({ kind: 'server-error', status: 500 });
    const { provider, delays } = providerFor();
    expect(await provider.embedDocuments(['a', 'b'])).toEqual(expected(['a', 'b']));
    expect(delays).toEqual([50]);
    expect(server.requests).toHaveLength(2);
  });

  it('gives up on a persistent 503 after maxRetries + 1 attempts, backing off exponentially', async () => {
    server.otherwise({ kind: 'server-error', status: 503 });
    const { provider, delays } = providerFor({ maxRetries: 3 });
    const error = await failure(provider.embedDocuments(['a']));
    expect(error.code).toBe('EMBEDDING_UNAVAILABLE');
    expect(error.message).toMatch(/text-embedding-3-small is unavailable: 4 attempts failed, the last with HTTP 503/);
    expect(server.requests).toHaveLength(4);
    expect(delays).toEqual([50, 100, 200]);
  });

  it('retries an answer slower than the timeout, and gives up when every answer is', async () => {
    server.script({ kind: 'ok', delayMs: 1_000 });
    const { provider } = providerFor({ timeoutMs: 50, maxRetries: 1 });
    expect(await provider.embedDocuments(['a'])).toEqual(expected(['a']));
    expect(server.requests).toHaveLength(2);

    server.otherwise({ kind: 'ok', delayMs: 1_000 });
    const error = await failure(provider.embedDocuments(['b']));
    expect(error.code).toBe('EMBEDDING_UNAVAILABLE');
    expect(error.message).toMatch(/2 attempts failed, the last with no answer within 50 ms/);
    expect(server.requests).toHaveLength(4);
  });

  it('retries a refused connection and names the network error', async () => {
    const { baseUrl } = server;
    await server.close();
    server = await startOpenAiEmbeddingsServer();
    const { provider, delays } = providerFor({ baseUrl, maxRetries: 1 });
    const error = await failure(provider.embedDocuments(['a']));
    expect(error.message).toMatch(/2 attempts failed, the last with a network error \(ECONNREFUSED\)/);
    expect(delays).toHaveLength(1);
  });
});

describe('OpenAI-compatible embedding provider: bad answers', () => {
  it.each([
    ['malformed JSON', { kind: 'malformed-json' }, /returned a body that is not JSON/],
    ['too few vectors', { kind: 'wrong-count' }, /text-embedding-3-small returned 2 vectors for 3 texts/],
    ['the wrong dimension', { kind: 'wrong-dimension', dimensions: 5 }, /vector of 5 dimensions where 16 were expected/],
    ['a non-finite number', { kind: 'non-finite' }, /returned a non-finite number in the vector at index 0/],
  ] as const)('rejects %s as EMBEDDING_UNAVAILABLE without retrying', async (_, reply, message) => {
    server.script(reply);
    const { provider } = providerFor();
    const error = await failure(provider.embedDocuments(['a', 'b', 'c']));
    expect(error.code).toBe('EMBEDDING_UNAVAILABLE');
    expect(error.message).toMatch(message);
    expect(server.requests).toHaveLength(1);
  });

  it('returns nothing when one batch of several fails, and sends no further batches', async () => {
    server.script({ kind: 'ok' }, { kind: 'wrong-dimension', dimensions: 3 });
    const { provider } = providerFor({ maxBatchInputs: 1, maxConcurrentRequests: 1 });
    const error = await failure(provider.embedDocuments(texts(4)));
    expect(error.code).toBe('EMBEDDING_UNAVAILABLE');
    expect(server.requests).toHaveLength(2);
  });

  it('does not retry a rejected API key, and keeps the echoed key out of the message', async () => {
    await restartServer({ apiKey: 'sk-right' });
    const { provider } = providerFor({ apiKey: 'sk-wrong-secret-99' });
    const error = await failure(provider.embedDocuments(['a']));
    expect(error.code).toBe('EMBEDDING_UNAVAILABLE');
    expect(error.message).toMatch(/rejected the API key \(HTTP 401\)/);
    expect(error.message).not.toMatch(/sk-|99/);
    expect(server.requests).toHaveLength(1);
  });

  it('treats a 403 like a rejected key: operator fault, not retried', async () => {
    const message = 'Project does not have access to model';
    server.script({ kind: 'error', status: 403, message, code: 'model_not_found' });
    const { provider } = providerFor();
    const error = await failure(provider.embedDocuments(['a']));
    expect(error.code).toBe('EMBEDDING_UNAVAILABLE');
    expect(error.message).toMatch(/rejected the API key \(HTTP 403\)/);
    expect(error.cause).toBeInstanceOf(Error);
    expect((error.cause as Error).message).toMatch(/HTTP 403 model_not_found: Project does not have access to model/);
    expect(server.requests).toHaveLength(1);
  });

  it('surfaces a 400 with the provider message as EMBEDDING_UNAVAILABLE, without retrying', async () => {
    await restartServer({ rejectDimensions: true });
    const { provider } = providerFor({ sendDimensions: true });
    const error = await failure(provider.embedDocuments(['a']));
    expect(error.code).toBe('EMBEDDING_UNAVAILABLE');
    expect(error.message).toMatch(/rejected the request \(HTTP 400: This model does not support specifying dimensions/);
    expect(server.requests).toHaveLength(1);
  });

  it('reports a text over the model context as BAD_USER_INPUT, without retrying', async () => {
    await restartServer({ maxInputTokens: 5 });
    const { provider } = providerFor();
    const error = await failure(provider.embedDocuments(['short', 'x'.repeat(40)]));
    expect(error.code).toBe('BAD_USER_INPUT');
    expect(error.message).toMatch(/longer than embedding model text-embedding-3-small accepts .*context length is 5/);
    expect(server.requests).toHaveLength(1);
  });

  it('does not retry an exhausted quota (429 insufficient_quota) or a wrong base URL (404)', async () => {
    server.script({ kind: 'rate-limited', code: 'insufficient_quota' });
    const { provider } = providerFor();
    const quota = await failure(provider.embedDocuments(['a']));
    expect(quota.message).toMatch(/quota is exhausted/);

    const { provider: misrouted } = providerFor({ baseUrl: server.origin });
    const notFound = await failure(misrouted.embedDocuments(['a']));
    expect(notFound.code).toBe('EMBEDDING_UNAVAILABLE');
    expect(notFound.message).toMatch(/HTTP 404: Invalid URL \(POST \/embeddings\)/);
    expect(server.requests.map((request) => request.path)).toEqual(['/v1/embeddings', '/embeddings']);
  });
});

describe('OpenAI-compatible embedding provider: circuit breaker and close', () => {
  it('opens after N consecutive failures, fails fast without a request, half-opens after the cooldown', async () => {
    let clock = 0;
    server.otherwise({ kind: 'server-error', status: 503 });
    const { provider } = providerFor({
      maxRetries: 0,
      circuitFailureThreshold: 3,
      circuitCooldownMs: 30_000,
      now: () => clock,
    });
    for (let i = 0; i < 3; i += 1) await failure(provider.embedDocuments(['a']));
    expect(server.requests).toHaveLength(3);

    const started = performance.now();
    const open = await failure(provider.embedDocuments(['a']));
    const elapsedMs = performance.now() - started;
    expect(open.code).toBe('EMBEDDING_UNAVAILABLE');
    expect(open.message).toMatch(/circuit open after 3 consecutive failures \(last: HTTP 503: .*\); retrying in 30 s/);
    expect(server.requests).toHaveLength(3);
    console.info(`circuit-open call failed in ${elapsedMs.toFixed(2)} ms`);

    // After the cooldown one trial goes through; it fails, so the circuit opens again.
    clock = 30_000;
    await failure(provider.embedDocuments(['a']));
    expect(server.requests).toHaveLength(4);
    expect((await failure(provider.embedDocuments(['a']))).message).toMatch(/circuit open/);
    expect(server.requests).toHaveLength(4);

    // The next trial succeeds and closes the circuit: calls flow again.
    clock = 60_000;
    server.otherwise({ kind: 'ok' });
    expect(await provider.embedDocuments(['b'])).toEqual(expected(['b']));
    expect(await provider.embedDocuments(['c'])).toEqual(expected(['c']));
    expect(server.requests).toHaveLength(6);
  });

  it('lets only one trial through while half-open', async () => {
    let clock = 0;
    server.script({ kind: 'server-error' });
    server.otherwise({ kind: 'ok', delayMs: 50 });
    const { provider } = providerFor({
      maxRetries: 0,
      circuitFailureThreshold: 1,
      circuitCooldownMs: 1_000,
      now: () => clock,
    });
    await failure(provider.embedDocuments(['a']));
    clock = 1_000;
    const [trial, other] = await Promise.allSettled([provider.embedDocuments(['b']), provider.embedDocuments(['c'])]);
    expect(trial).toEqual({ status: 'fulfilled', value: expected(['b']) });
    expect(other.status === 'rejected' && (other.reason as AppError).message).toMatch(/a trial request is in flight/);
    expect(server.requests).toHaveLength(2);
  });

  it('is not opened by answers about the caller’s own texts', async () => {
    await restartServer({ maxInputTokens: 5 });
    const { provider } = providerFor({ circuitFailureThreshold: 2 });
    for (let i = 0; i < 3; i += 1) {
      expect((await failure(provider.embedDocuments(['x'.repeat(40)]))).code).toBe('BAD_USER_INPUT');
    }
    expect(await provider.embedDocuments(['ok'])).toEqual(expected(['ok']));
  });

  it('close() aborts in-flight requests, rejects queued and backing-off calls, and refuses new ones', async () => {
    server.script({ kind: 'server-error' });
    server.otherwise({ kind: 'ok', delayMs: 5_000 });
    // The real sleep here: a 10 s backoff that only close() can cut short.
    const { provider } = providerFor({
      sleep: undefined,
      retryBaseDelayMs: 5_000,
      retryMaxDelayMs: 10_000,
      random: () => 0.99,
    });
    const backingOff = provider.embedDocuments(['a']);
    await waitFor(() => server.requests.length === 1);
    const { provider: slow } = providerFor({ maxConcurrentRequests: 1 });
    const inFlight = slow.embedDocuments(['b']);
    const queued = slow.embedDocuments(['c']);
    await waitFor(() => server.requests.length === 2);

    const outcomes = Promise.allSettled([backingOff, inFlight, queued]);
    await Promise.all([provider.close(), slow.close()]);
    const reasons = [...(await outcomes), ...(await Promise.allSettled([slow.embedQueries(['d'])]))].map((outcome) =>
      outcome.status === 'rejected' ? (outcome.reason as AppError) : undefined,
    );
    for (const reason of reasons) {
      expect(reason).toBeInstanceOf(AppError);
      expect(reason?.code).toBe('EMBEDDING_UNAVAILABLE');
      expect(reason?.message).toMatch(/is closed/);
    }
    expect(server.requests).toHaveLength(2);
  });
});

async function waitFor(condition: () => boolean) {
  while (!condition()) await new Promise((resolve) => setTimeout(resolve, 5));
}
