import type { TestApp } from './test-app.js';

/** The GraphiQL page the server renders for a browser at /graphql, as text. */
export async function graphiqlHtml(t: TestApp): Promise<string> {
  const response = await t.app.yoga.fetch('http://narwhal.test/graphql', { headers: { accept: 'text/html' } });
  if (!response.headers.get('content-type')?.startsWith('text/html')) throw new Error(`not GraphiQL: ${response.status}`);
  return response.text();
}
