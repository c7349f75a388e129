import { Agent, request } from 'node:http';

/**
 * A minimal GraphQL-over-HTTP client on node:http with keep-alive connections: fetch adds a few
 * hundred microseconds per request, which would be charged to the server in an overhead ratio.
 */
export function createKeepAliveClient(url: string, headers: Record<string, string>, maxSockets: number) {
  const agent = new Agent({ keepAlive: true, maxSockets });
  const target = new URL(url);
  return {
    post<T>(query: string, variables: Record<string, unknown>): Promise<T> {
      const body = JSON.stringify({ query, variables });
      return new Promise((resolve, reject) => {
        const req = request(
          {
            agent,
            host: target.hostname,
            port: target.port,
            path: target.pathname,
            method: 'POST',
            headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body), ...headers },
          },
          (res) => {
            const chunks: Buffer[] = [];
            res.on('data', (chunk: Buffer) => chunks.push(chunk));
            res.on('end', () => {
              const parsed = JSON.parse(Buffer.concat(chunks).toString('utf8')) as { data?: T; errors?: unknown[] };
              if (parsed.errors || !parsed.data) reject(new Error(`GraphQL error: ${JSON.stringify(parsed.errors)}`));
              else resolve(parsed.data);
            });
            res.on('error', reject);
          },
        );
        req.on('error', reject);
        req.end(body);
      });
    },
    close: () => agent.destroy(),
  };
}
