/** How to reach an OpenAI-compatible embeddings server and how patiently; defaults are OpenAI's limits. */
export type OpenAiCompatibleProviderOptions = {
  /**
   * The URL up to and including the API version, e.g. `https://api.openai.com/v1` or
   * `http://localhost:11434/v1` (Ollama); requests go to `${baseUrl}/embeddings`. Nothing is added,
   * so gateways that mount the API elsewhere work too.
   */
  baseUrl: string;
  /** Sent as `model` and recorded on every document as the provider's `model`. */
  model: string;
  /** The vector length the model returns; every answer is checked against it. */
  dimensions: number;
  /** Sent as `Authorization: Bearer <apiKey>`; local servers usually need none. */
  apiKey?: string;
  /** Send `dimensions` in the body (text-embedding-3 shortening); off by default: many servers reject it. */
  sendDimensions?: boolean;
  /** `base64` quarters the response size on OpenAI; default: the field is omitted (floats). */
  encodingFormat?: 'float' | 'base64';
  /** Instruction prefixes some models need (e5: `query: ` / `passage: `; nomic: `search_query: `). */
  queryPrefix?: string;
  documentPrefix?: string;
  /** Inputs per request. */
  maxBatchInputs?: number;
  /** Estimated tokens per request, summed over its inputs; a longer single text is BAD_USER_INPUT. */
  maxBatchTokens?: number;
  /** HTTP requests in flight at once, across all calls of this provider. */
  maxConcurrentRequests?: number;
  /** Per HTTP attempt, response body included. */
  timeoutMs?: number;
  /** Retries after the first attempt, on network errors, timeouts, 408, 409, 429 and 5xx. */
  maxRetries?: number;
  /** Ceiling of the first retry's jittered delay; doubles with each retry. */
  retryBaseDelayMs?: number;
  /** Ceiling of a backoff delay; a server asking for a longer Retry-After is not waited out. */
  retryMaxDelayMs?: number;
  /**
   * Consecutive failed HTTP attempts (not calls) that open the circuit: retries count, so with the
   * defaults one batch failing every attempt opens it on its fifth and is refused the sixth.
   */
  circuitFailureThreshold?: number;
  /** How long an open circuit refuses calls before letting one trial request through. */
  circuitCooldownMs?: number;
  /** Test seams: the backoff sleep, the circuit's monotonic clock, the jitter source. */
  sleep?: (ms: number, signal: AbortSignal) => Promise<void>;
  now?: () => number;
  random?: () => number;
};

const OPENAI_COMPATIBLE_DEFAULTS = {
  sendDimensions: false,
  queryPrefix: '',
  documentPrefix: '',
  maxBatchInputs: 2048, // OpenAI's inputs per request
  maxBatchTokens: 300_000, // OpenAI's tokens per request, summed over inputs
  maxConcurrentRequests: 4,
  timeoutMs: 30_000,
  maxRetries: 5,
  retryBaseDelayMs: 500,
  retryMaxDelayMs: 20_000,
  circuitFailureThreshold: 5,
  circuitCooldownMs: 30_000,
} as const;


/**
 * Fills in defaults and checks the options once, at startup, with a plain Error: a bad value is
 * the operator's configuration, not something a client could have caused. Undefined values fall
 * back to the default, so config code can pass optional settings straight through.
 */
export function resolveOptions(options: OpenAiCompatibleProviderOptions) {
  const defined = Object.fromEntries(Object.entries(options).filter(([, value]) => value !== undefined));
  const o = { ...OPENAI_COMPATIBLE_DEFAULTS, ...(defined as OpenAiCompatibleProviderOptions) };
  if (!/^https?:\/\/[^/]/.test(o.baseUrl)) throw new Error(`baseUrl must be an http(s) URL, got ${o.baseUrl}`);
  if (o.model.trim() === '') throw new Error('model must not be empty');
  for (const key of POSITIVE) checkInteger(key, o[key], 1);
  for (const key of NON_NEGATIVE) checkInteger(key, o[key], 0);
  if (o.retryBaseDelayMs > o.retryMaxDelayMs) throw new Error('retryBaseDelayMs must not exceed retryMaxDelayMs');
  return o;
}

const POSITIVE = [
  'dimensions',
  'maxBatchInputs',
  'maxBatchTokens',
  'maxConcurrentRequests',
  'timeoutMs',
  'circuitFailureThreshold',
] as const;
const NON_NEGATIVE = ['maxRetries', 'retryBaseDelayMs', 'retryMaxDelayMs', 'circuitCooldownMs'] as const;

function checkInteger(key: string, value: number, min: number) {
  if (!Number.isInteger(value) || value < min) {
    throw new Error(`${key} must be an integer of at least ${min}, got ${value}`);
  }
}
