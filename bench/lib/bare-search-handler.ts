import type { RequestListener } from 'node:http';

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
        (hits) => {
          response.writeHead(200, { 'content-type': 'application/json' });
          response.end(JSON.stringify({ data: { search: { hits } } }));
        },
        (error: unknown) => {
          response.writeHead(500, { 'content-type': 'application/json' });
          response.end(JSON.stringify({ errors: [{ message: String(error) }] }));
        },
      );
    });
  };
}
