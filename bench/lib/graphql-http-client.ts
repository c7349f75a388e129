/** A minimal GraphQL-over-HTTP client for benchmarks: real POST requests, errors never ignored. */

type GraphqlResponse<T> = { data?: T | null; errors?: { message: string; extensions?: { code?: string } }[] };

export type GraphqlClient = {
  /** POSTs one operation; throws on a non-2xx status or any entry in `errors`. */
  request<T>(query: string, variables?: Record<string, unknown>, headers?: Record<string, string>): Promise<T>;
};

export class GraphqlRequestError extends Error {
  constructor(
    message: string,
    readonly status: number,
    readonly body: unknown,
  ) {
    super(message);
    this.name = 'GraphqlRequestError';
  }
}

export function createGraphqlClient(url: string, baseHeaders: Record<string, string> = {}): GraphqlClient {
  return {
    async request<T>(query: string, variables: Record<string, unknown> = {}, headers: Record<string, string> = {}) {
      const response = await fetch(url, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          accept: 'application/graphql-response+json, application/json',
          ...baseHeaders,
          ...headers,
        },
        body: JSON.stringify({ query, variables }),
      });
      const text = await response.text();
      let body: GraphqlResponse<T>;
      try {
        body = JSON.parse(text) as GraphqlResponse<T>;
      } catch {
        throw new GraphqlRequestError(`HTTP ${response.status}, body is not JSON: ${text.slice(0, 200)}`, response.status, text);
      }
      if (body.errors && body.errors.length > 0) {
        const described = body.errors.map((error) => `${error.extensions?.code ?? 'NO_CODE'}: ${error.message}`);
        throw new GraphqlRequestError(`GraphQL errors (HTTP ${response.status}): ${described.join('; ')}`, response.status, body);
      }
      if (!response.ok) throw new GraphqlRequestError(`HTTP ${response.status} without errors`, response.status, body);
      if (body.data === null || body.data === undefined) {
        throw new GraphqlRequestError(`HTTP ${response.status}: no data in the response`, response.status, body);
      }
      return body.data;
    },
  };
}
