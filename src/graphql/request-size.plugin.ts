import type { Plugin } from 'graphql-yoga';
import { errorResponse } from './errors.js';

/**
 * Refuses a request body over maxBytes with 413, before it is parsed: at once when Content-Length
 * says so, else (chunked, or a lying length) as soon as the bytes read pass the limit, so a huge
 * body is never held in memory whole. Yoga has no limit of its own.
 */
export function useRequestSizeLimit(maxBytes: number): Plugin {
  return {
    onRequestParse({ request, requestParser, setRequestParser, endResponse, fetchAPI }) {
      const tooLarge = () =>
        errorResponse(fetchAPI, 413, 'PAYLOAD_TOO_LARGE', `The request body is larger than the ${maxBytes} bytes allowed (MAX_REQUEST_BYTES)`);
      const declared = Number(request.headers.get('content-length') ?? Number.NaN);
      if (declared > maxBytes) return endResponse(tooLarge());
      if (!requestParser || request.body === null) return;
      setRequestParser(async (incoming) => {
        const body = await readAtMost(incoming, maxBytes);
        if (body === undefined) return tooLarge();
        return requestParser(new fetchAPI.Request(incoming.url, { method: incoming.method, headers: incoming.headers, body }));
      });
    },
  };
}

/** The whole body, or undefined as soon as it passes maxBytes (the rest is never read). */
async function readAtMost(request: Request, maxBytes: number): Promise<Uint8Array<ArrayBuffer> | undefined> {
  if (!request.body) return new Uint8Array();
  const reader = request.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > maxBytes) {
      await reader.cancel();
      return undefined;
    }
    chunks.push(value);
  }
  return Buffer.concat(chunks, size);
}
