import { setTimeout as delay } from 'node:timers/promises';
import { AppError } from '../domain-errors.js';
import { createCircuitBreaker, type CircuitRefusal } from './circuit-breaker.js';
import { createConcurrencyLimit } from './concurrency-limit.js';
import { splitIntoBatches } from './embedding-batches.js';
import type { EmbeddingProvider } from './embedding-provider.js';
import {
  classifyFailure,
  parseEmbeddingsResponse,
  readProviderError,
  type EmbeddingsRequestBody,
} from './openai-compatible.protocol.js';
import { resolveOptions, type OpenAiCompatibleProviderOptions } from './openai-compatible.options.js';
import { backoffDelayMs, retryAfterMs } from './retry-policy.js';

type Outcome =
  | { kind: 'vectors'; vectors: number[][] }
  | { kind: 'retry'; reason: string; retryAfterMs?: number | undefined }
  | { kind: 'too-large'; reason: string };

/**
 * An EmbeddingProvider over any server speaking OpenAI's embeddings API. Texts are packed into
 * requests within the server's input and token limits, sent with bounded concurrency, retried
 * with backoff on transient failures, and guarded by a circuit breaker. Messages of the
 * AppErrors it throws reach API clients, so they never carry the URL or the key; details ride
 * along as `cause`.
 */
export function createOpenAiCompatibleProvider(options: OpenAiCompatibleProviderOptions): EmbeddingProvider {
  const o = resolveOptions(options);
  const { model, dimensions } = o;
  const url = `${o.baseUrl.replace(/\/+$/, '')}/embeddings`;
  const headers: Record<string, string> = { 'content-type': 'application/json', accept: 'application/json' };
  if (o.apiKey) headers.authorization = `Bearer ${o.apiKey}`;
  const sleep = o.sleep ?? ((ms, signal) => delay(ms, undefined, { signal }));
  const backoff = { baseDelayMs: o.retryBaseDelayMs, maxDelayMs: o.retryMaxDelayMs, random: o.random ?? Math.random };
  const breaker = createCircuitBreaker({
    failureThreshold: o.circuitFailureThreshold,
    cooldownMs: o.circuitCooldownMs,
    now: o.now ?? (() => performance.now()),
  });
  // One limit for the whole provider, not per call: it protects the upstream (and our rate limit)
  // from the sum of all concurrent GraphQL requests.
  const limit = createConcurrencyLimit(o.maxConcurrentRequests);
  // Each call has its own controller rather than one AbortSignal.any() over a provider-wide signal:
  // composites of a long-lived signal leak in Node 20/22 (nodejs/node#54614, #55351).
  const calls = new Set<AbortController>();
  let closed: AppError | undefined;
  const unavailable = (message: string, cause?: unknown) =>
    new AppError('EMBEDDING_UNAVAILABLE', `Embedding model ${model} ${message}`, undefined, { cause });

  async function embed(texts: readonly string[], prefix: string): Promise<number[][]> {
    if (closed) throw closed;
    if (texts.length === 0) return [];
    texts.forEach((text, index) => {
      if (text.trim() === '') throw new AppError('BAD_USER_INPUT', `Text ${index} is empty; there is nothing to embed`);
    });
    const batches = splitIntoBatches(
      texts.map((text) => prefix + text),
      { maxInputs: o.maxBatchInputs, maxTokens: o.maxBatchTokens },
      model,
    );
    // Fail fast here too: queued behind in-flight requests, a caller would otherwise wait for a slot.
    const blocked = breaker.blocked();
    if (blocked) throw circuitOpen(blocked);
    const call = new AbortController();
    const { signal } = call;
    calls.add(call);
    try {
      const parts = await Promise.all(batches.map((batch) => limit.run(() => embedBatch(batch.texts, signal), signal)));
      return parts.flat();
    } catch (error) {
      // One failed batch fails the call (never a partial result), so the others' work is waste.
      call.abort(error);
      throw error;
    } finally {
      calls.delete(call);
    }
  }

  // Retries and any split happen inside the batch's concurrency slot: a rate-limited batch keeps
  // its slot while it backs off, which slows everyone down, which is what a 429 asks for.
  async function embedBatch(texts: string[], signal: AbortSignal): Promise<number[][]> {
    for (let attempt = 0; ; attempt += 1) {
      const outcome = await send(texts, signal);
      if (outcome.kind === 'vectors') return outcome.vectors;
      if (outcome.kind === 'too-large') {
        if (texts.length === 1) throw tooLong(outcome.reason);
        const middle = Math.ceil(texts.length / 2);
        const head = await embedBatch(texts.slice(0, middle), signal);
        return [...head, ...(await embedBatch(texts.slice(middle), signal))];
      }
      if (attempt >= o.maxRetries) {
        const attempts = attempt === 0 ? '1 attempt' : `${attempt + 1} attempts`;
        throw unavailable(`is unavailable: ${attempts} failed, the last with ${outcome.reason}`);
      }
      if (outcome.retryAfterMs !== undefined && outcome.retryAfterMs > o.retryMaxDelayMs) {
        throw unavailable(
          `is unavailable: the server asked to retry after ${seconds(outcome.retryAfterMs)} s, ` +
            `more than the ${seconds(o.retryMaxDelayMs)} s we wait (${outcome.reason})`,
        );
      }
      const wait = outcome.retryAfterMs ?? backoffDelayMs(attempt, backoff);
      try {
        await sleep(wait, signal);
      } catch (error) {
        throw signal.aborted ? signal.reason : error;
      }
    }
  }

  async function send(texts: string[], signal: AbortSignal): Promise<Outcome> {
    signal.throwIfAborted();
    const admission = breaker.admit();
    if (!admission.admitted) throw circuitOpen(admission);
    const { ticket } = admission;
    const attempt = new AbortController();
    const cancel = () => attempt.abort(signal.reason);
    signal.addEventListener('abort', cancel, { once: true });
    // The timeout covers reading the body too: a server that sends headers and then stalls is down.
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      attempt.abort();
    }, o.timeoutMs);
    let response: Response;
    let body: string;
    try {
      const init = { method: 'POST', headers, body: JSON.stringify(requestBody(texts)), signal: attempt.signal };
      response = await fetch(url, init);
      body = await response.text();
    } catch (error) {
      if (signal.aborted) {
        ticket.abandoned();
        throw signal.reason;
      }
      const reason = timedOut ? `no answer within ${o.timeoutMs} ms` : `a network error (${networkCode(error)})`;
      ticket.unhealthy(reason);
      return { kind: 'retry', reason };
    } finally {
      clearTimeout(timer);
      signal.removeEventListener('abort', cancel);
    }
    if (response.ok) {
      try {
        const vectors = parseEmbeddingsResponse(body, { model, count: texts.length, dimensions });
        ticket.healthy();
        return { kind: 'vectors', vectors };
      } catch (error) {
        // A 200 with an unusable body is a broken or misconfigured server: retrying repeats it.
        ticket.unhealthy((error as Error).message);
        throw error;
      }
    }
    const error = readProviderError(body);
    const kind = classifyFailure(response.status, error);
    const reason = `HTTP ${response.status}${error.code ? ` ${error.code}` : ''}: ${error.message}`;
    const cause = new Error(`POST ${url} answered ${reason}`);
    // An answer about this request's own input says the server works; counting it would let one
    // tenant's bad texts open the circuit for every tenant. A key, quota, URL or model problem
    // fails everyone alike, so it counts.
    const aboutThisInput = kind === 'too-large' || kind === 'input-too-long';
    if (aboutThisInput || (kind === 'rejected' && [400, 422].includes(response.status))) ticket.healthy();
    else ticket.unhealthy(reason);
    switch (kind) {
      case 'retry':
        return { kind, reason, retryAfterMs: retryAfterMs(response.headers) };
      case 'too-large':
        return { kind, reason };
      case 'input-too-long':
        throw tooLong(reason);
      case 'rejected-key':
        // Not the provider's message: OpenAI's echoes part of the key, and this one reaches clients.
        throw unavailable(`is unavailable: the service rejected the API key (HTTP ${response.status})`, cause);
      case 'quota':
        throw unavailable(`is unavailable: the embedding service's quota is exhausted (${reason})`, cause);
      case 'rejected':
        throw unavailable(`rejected the request (${reason})`, cause);
    }
  }

  function requestBody(texts: string[]): EmbeddingsRequestBody {
    return {
      model,
      input: texts,
      ...(o.sendDimensions ? { dimensions } : {}),
      ...(o.encodingFormat ? { encoding_format: o.encodingFormat } : {}),
    };
  }

  function circuitOpen(state: CircuitRefusal): AppError {
    const when = state.retryInMs > 0 ? `retrying in ${seconds(state.retryInMs)} s` : 'a trial request is in flight';
    return unavailable(
      `is unavailable: circuit open after ${state.failures} consecutive failures (last: ${state.lastFailure}); ${when}`,
    );
  }

  function tooLong(reason: string): AppError {
    return new AppError('BAD_USER_INPUT', `A text is longer than embedding model ${model} accepts (${reason})`);
  }

  return {
    model,
    dimensions,
    embedDocuments: (texts) => embed(texts, o.documentPrefix),
    embedQueries: (texts) => embed(texts, o.queryPrefix),
    /** Aborts in-flight requests and rejects queued and backing-off calls; later calls reject at once. */
    async close() {
      closed ??= new AppError('EMBEDDING_UNAVAILABLE', `The embedding provider for model ${model} is closed`);
      for (const call of calls) call.abort(closed);
    },
  };
}

function networkCode(error: unknown): string {
  // undici's fetch throws TypeError('fetch failed') with the socket error (ECONNREFUSED...) as cause.
  const cause = error instanceof Error ? (error.cause as { code?: unknown; message?: unknown } | undefined) : undefined;
  if (typeof cause?.code === 'string') return cause.code;
  if (typeof cause?.message === 'string') return cause.message;
  return error instanceof Error ? error.message : String(error);
}

function seconds(ms: number): string {
  return String(Math.ceil(ms / 100) / 10);
}
