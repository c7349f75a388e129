import type { Plugin } from 'graphql-yoga';
import { errorResponse } from './client-errors.js';

/**
 * Refuses a request body over maxBytes with 413, before it is parsed: at once when Content-Length
 * says so, else (chunked) as soon as the bytes read pass the limit, so a huge body is never held
 * in memory whole. Yoga has no limit of its own. A declared length within the limit is trusted:
 * node:http delivers exactly that many bytes as the body (any more are read as the next request,
 * and a length sent with chunked encoding is refused), so only a body without one is counted.
 * Counting means reading the body into a second Request: 0.05-0.06 ms of the server thread per
 * search request, measured, which a declared length makes needless.
 */
export function useRequestSizeLimit(maxBytes: number): Plugin {
  return {
    onRequestParse({ request, requestParser, setRequestParser, endResponse, fetchAPI }) {
      const declared = Number(request.headers.get('content-length') ?? Number.NaN);
      if (declared > maxBytes) return endResponse(tooLarge(fetchAPI, maxBytes));
      if (Number.isSafeInteger(declared) && declared >= 0) return;
      if (!requestParser || request.body === null) return;
      setRequestParser(async (incoming) => {
        const body = await readAtMost(incoming, maxBytes);
        if (body === undefined) return tooLarge(fetchAPI, maxBytes);
        return requestParser(new fetchAPI.Request(incoming.url, { method: incoming.method, headers: incoming.headers, body }));
      });
    },
  };
}

// Not a closure made in every request's hook: under tsx (npm start) each function made is named
// with Object.defineProperty, which showed in profiles of the search path.
function tooLarge(fetchAPI: { Response: typeof Response }, maxBytes: number): Response {
  return errorResponse(fetchAPI, 413, 'PAYLOAD_TOO_LARGE', `The request body is larger than the ${maxBytes} bytes allowed (MAX_REQUEST_BYTES)`);
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
