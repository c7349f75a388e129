import { AppError } from '../domain-errors.js';

/**
 * The wire format of POST /v1/embeddings as OpenAI defines it and compatible servers (vLLM, Ollama,
 * LocalAI, text-embeddings-inference, LiteLLM, Azure-style proxies) implement it, with the ways
 * they differ in what they send back.
 */
export type EmbeddingsRequestBody = {
  model: string;
  /** Always an array, even for one text, so the answer always carries `index`. */
  input: string[];
  /** Only sent when asked for: many servers reject the field (only models that shorten accept it). */
  dimensions?: number;
  encoding_format?: 'float' | 'base64';
};

export type ExpectedEmbeddings = { model: string; count: number; dimensions: number };

/** The provider's own account of a failure, from OpenAI's {error:{message,type,code}} or a look-alike. */
export type ProviderError = { message: string; type?: string; code?: string };

/**
 * What a non-2xx answer means for us:
 * - retry: transient (the openai SDK retries the same set: 408, 409, 429, 5xx);
 * - too-large: the batch as a whole is over the server's request limit, so halves may pass;
 * - input-too-long: one text is over the model's context, which is the caller's text;
 * - rejected-key, quota, rejected: not worth retrying; the operator has to act.
 */
export type FailureKind = 'retry' | 'too-large' | 'input-too-long' | 'rejected-key' | 'quota' | 'rejected';

/** Parses and checks a 2xx body; any doubt is EMBEDDING_UNAVAILABLE, never a partial result. */
export function parseEmbeddingsResponse(body: string, expected: ExpectedEmbeddings): number[][] {
  const fail = (problem: string) =>
    new AppError('EMBEDDING_UNAVAILABLE', `Embedding model ${expected.model} ${problem}`);
  let json: unknown;
  try {
    json = JSON.parse(body);
  } catch {
    throw fail(`returned a body that is not JSON: ${preview(body)}`);
  }
  const data = isRecord(json) ? json.data : undefined;
  if (!Array.isArray(data)) throw fail('returned a response without a data array');
  if (data.length !== expected.count) {
    throw fail(`returned ${data.length} vectors for ${expected.count} texts`);
  }
  const vectors = new Array<number[] | undefined>(expected.count);
  data.forEach((item: unknown, position) => {
    // Servers may answer out of order; `index` says which input a vector belongs to.
    const index = isRecord(item) && item.index !== undefined ? item.index : position;
    const valid = typeof index === 'number' && Number.isInteger(index) && index >= 0 && index < expected.count;
    if (!valid || vectors[index]) {
      throw fail(`returned an invalid or repeated index ${String(index)} for ${expected.count} texts`);
    }
    const vector = decodeEmbedding(isRecord(item) ? item.embedding : undefined);
    if (!vector) throw fail(`returned no usable embedding at index ${index}`);
    if (vector.length !== expected.dimensions) {
      throw fail(`returned a vector of ${vector.length} dimensions where ${expected.dimensions} were expected`);
    }
    if (!vector.every(Number.isFinite)) throw fail(`returned a non-finite number in the vector at index ${index}`);
    vectors[index] = vector;
  });
  return vectors as number[][];
}

/**
 * The failure as the server tells it: OpenAI's {error:{message,type,code}}, vLLM's
 * {message,type,code}, text-embeddings-inference's {error,error_type}, FastAPI's {detail}.
 */
export function readProviderError(body: string): ProviderError {
  let json: unknown;
  try {
    json = JSON.parse(body);
  } catch {
    return { message: preview(body) };
  }
  if (!isRecord(json)) return { message: preview(body) };
  const error = isRecord(json.error) ? json.error : json;
  const message = error.message ?? json.error ?? json.detail;
  return {
    message: typeof message === 'string' ? message.slice(0, 500) : preview(JSON.stringify(message ?? json)),
    ...(typeof (error.type ?? json.error_type) === 'string' ? { type: String(error.type ?? json.error_type) } : {}),
    ...(typeof error.code === 'string' ? { code: error.code } : {}),
  };
}

const CONTEXT_EXCEEDED = /context length|input length|context_length_exceeded|too many tokens|less than \d+ tokens/i;

export function classifyFailure(status: number, error: ProviderError): FailureKind {
  // OpenAI answers an unpaid account with 429 too, but waiting will not fix it.
  if (status === 429 && (error.code === 'insufficient_quota' || error.type === 'insufficient_quota')) return 'quota';
  if (status === 408 || status === 409 || status === 429 || status >= 500) return 'retry';
  if (status === 401 || status === 403) return 'rejected-key';
  // 413: a proxy's body limit or TEI's batch limit. max_tokens_per_request: OpenAI's 300k-token sum.
  if (status === 413 || error.code === 'max_tokens_per_request' || /tokens per request/i.test(error.message)) {
    return 'too-large';
  }
  const contextExceeded = error.code === 'context_length_exceeded' || CONTEXT_EXCEEDED.test(error.message);
  if ((status === 400 || status === 422) && contextExceeded) return 'input-too-long';
  return 'rejected';
}

/** OpenAI's base64 encoding: the vector's float32 values, little-endian; a quarter of the JSON's size. */
function decodeEmbedding(value: unknown): number[] | undefined {
  if (Array.isArray(value)) return value.every((n) => typeof n === 'number') ? (value as number[]) : undefined;
  if (typeof value !== 'string') return undefined;
  const bytes = Buffer.from(value, 'base64');
  if (bytes.length % 4 !== 0) return undefined;
  return Array.from({ length: bytes.length / 4 }, (_, i) => bytes.readFloatLE(i * 4));
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function preview(text: string): string {
  const flat = text.replace(/\s+/g, ' ').trim();
  return flat === '' ? '(empty body)' : flat.length > 200 ? `${flat.slice(0, 200)}…` : flat;
}
