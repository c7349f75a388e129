import type { RequestListener, ServerResponse } from 'node:http';

type Hit = { distance: number; document: { id: string; externalId: string } };

/**
 * The search behind a bare node:http handler: read the JSON body, run the search, write JSON of
 * the GraphQL response's shape. What HTTP and JSON cost without GraphQL, for the overhead ratio.
 */
export function bareSearchHandler(search: (vector: number[]) => Promise<Hit[]>): RequestListener {
  return (request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      const body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as { variables: { v: number[] } };
      search(body.variables.v).then(
        (hits) => reply(response, 200, { data: { search: { hits } } }),
        (error: unknown) => reply(response, 500, { errors: [{ message: String(error) }] }),
      );
    });
  };
}

/** A JSON answer with its length, as yoga sends one (not chunked). */
function reply(response: ServerResponse, status: number, body: unknown) {
  const bytes = Buffer.from(JSON.stringify(body));
  response.writeHead(status, { 'content-type': 'application/json', 'content-length': bytes.length });
  response.end(bytes);
}
