/** One HTTP exchange a client made: enough to tell requests apart and to see what the server answered. */
export type RecordedRequest = {
  method: string;
  url: string;
  /** The GraphQL operation name, from the JSON body (POST) or the `operationName` search parameter (GET). */
  operationName: string | null;
  status: number;
  contentType: string | null;
};

/**
 * The global fetch, wrapped so a test can count the requests a GraphQL client really sends: a
 * cache hit is proven by the count not moving. Nothing is stubbed; every call reaches the server.
 */
export function createRecordingFetch() {
  const requests: RecordedRequest[] = [];
  const recordingFetch: typeof fetch = async (input, init) => {
    const request = new Request(input, init);
    const url = new URL(request.url);
    const body = request.method === 'POST' ? await request.clone().text() : '';
    const operationName = url.searchParams.get('operationName') ?? (body ? (JSON.parse(body).operationName ?? null) : null);
    const response = await fetch(request);
    requests.push({
      method: request.method,
      url: request.url,
      operationName,
      status: response.status,
      contentType: response.headers.get('content-type'),
    });
    return response;
  };
  return { fetch: recordingFetch, requests };
}
