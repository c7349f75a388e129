import { mkdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEMO_DOCUMENTS } from '../../src/demo/demo-corpus.js';
import { graphiqlExampleOperations } from '../../src/demo/graphiql-examples.js';
import { serveOnLoopback } from '../helpers/http-server.js';
import { type TestApp, startTestApp } from '../helpers/test-app.js';
import { flattenWhitespace, GraphiQLPage, launchChromium } from './graphiql-page.js';

// GraphiQL as a newcomer meets it: the page yoga serves at /graphql, in headless Chromium, over
// real HTTP on a loopback port, with the demo tenant seeded as on a first `npm start`. The page
// must work offline: any request that would leave the machine fails the test.

const ARTIFACTS = fileURLToPath(new URL('../artifacts/', import.meta.url));

// The test embedder is a bag of words: these words are the narwhal document's, so it ranks first.
const SEARCH = `query NarwhalSearch {
  search(query: "arctic whale with a spiral tusk", first: 3) {
    hits { rank score document { externalId content } }
  }
}`;
const NARWHAL = DEMO_DOCUMENTS.find((document) => document.externalId === 'narwhal')!;
const DEMO_IDS = DEMO_DOCUMENTS.map((document) => document.externalId);
const EXAMPLE_NAMES = [...graphiqlExampleOperations('dev', 'demo').matchAll(/^(?:query|mutation) (\w+)/gm)].map((match) => match[1]);

type SearchResult = {
  data?: { search: { hits: { rank: number; document: { externalId: string; content: string } }[] } };
  errors?: unknown[];
};

let browser: Browser | undefined;
let t: TestApp | undefined;
let server: Awaited<ReturnType<typeof serveOnLoopback>> | undefined;

beforeAll(async () => {
  browser = await launchChromium();
  t = await startTestApp({ env: { SEED_DEMO: 'true' } });
  const demo = await t.as('demo')('{ tenant { slug documentCount } }');
  expect(demo.data?.tenant).toEqual({ slug: 'demo', documentCount: DEMO_DOCUMENTS.length });
  server = await serveOnLoopback(t.app.yoga);
  mkdirSync(ARTIFACTS, { recursive: true });
}, 180_000);

afterAll(async () => {
  await browser?.close();
  await server?.close();
  await t?.close();
});

/** The same HTTP body GraphiQL sent, answered in-process for the demo tenant. */
async function answerDirectly(body: string | null): Promise<unknown> {
  const response = await t!.app.yoga.fetch('http://narwhal.test/graphql', {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-tenant-id': 'demo' },
    body,
  });
  return response.json();
}

function expectStayedOffline(graphiql: GraphiQLPage) {
  const diagnostics = graphiql.diagnostics();
  expect(graphiql.requests.length).toBeGreaterThan(0);
  expect(graphiql.externalRequests, `requests outside localhost: ${diagnostics}`).toEqual([]);
  expect(graphiql.failedRequests, `failed requests: ${diagnostics}`).toEqual([]);
  expect(graphiql.pageErrors, `uncaught page errors: ${diagnostics}`).toEqual([]);
  expect(graphiql.consoleErrors, `console errors: ${diagnostics}`).toEqual([]);
}

describe('GraphiQL at /graphql in headless Chromium', () => {
  it('loads offline with the demo tenant header, runs a pasted search and shows its hits', { timeout: 180_000 }, async () => {
    const graphiql = await GraphiQLPage.open(browser!, server!.origin);
    try {
      const page = await graphiql.goto(server!.url);
      expect(page?.status()).toBe(200);
      expect(await page?.request().headerValue('accept')).toMatch(/text\/html/);
      expect(page?.headers()['content-type']).toMatch(/^text\/html/);
      expect(await graphiql.page.title()).toBe('Narwhal');

      // The headers tab is open on load and names the demo tenant.
      expect(JSON.parse(await graphiql.visibleToolText())).toEqual({ 'x-tenant-id': 'demo' });

      // GraphiQL fills the editor with the example operations once it has loaded; replacing them
      // before that would be overwritten.
      await expect.poll(() => graphiql.queryText(), { timeout: 20_000 }).toContain('query SearchByText');
      await graphiql.replaceQuery(SEARCH);
      await expect.poll(() => graphiql.queryText(), { timeout: 10_000 }).toBe(SEARCH);
      const { response, resultText } = await graphiql.run('NarwhalSearch');

      // What went over the wire: the headers editor's tenant, and the server's own answer.
      expect(await response.request().headerValue('x-tenant-id')).toBe('demo');
      const body = (await response.json()) as SearchResult;
      expect(body.errors).toBeUndefined();
      expect(body.data?.search.hits.map((hit) => hit.rank)).toEqual([1, 2, 3]);
      expect(body.data?.search.hits[0]?.document).toEqual({ externalId: 'narwhal', content: NARWHAL.content });
      expect(body).toEqual(await answerDirectly(response.request().postData()));

      // What the result pane shows (soft-wrapped lines joined).
      const shown = flattenWhitespace(resultText);
      expect(shown).toContain('"hits": [');
      expect(shown).toContain('"rank": 1,');
      expect(shown).toContain('"externalId": "narwhal",');
      expect(shown).toContain(`"content": "${NARWHAL.content}"`);

      await graphiql.page.screenshot({ path: `${ARTIFACTS}graphiql.png` });
      expectStayedOffline(graphiql);
    } finally {
      await graphiql.close();
    }
  });

  it('opens with the example operations, and the SearchByText example finds demo documents', { timeout: 180_000 }, async () => {
    const graphiql = await GraphiQLPage.open(browser!, server!.origin);
    try {
      await graphiql.goto(server!.url);
      const query = await graphiql.queryText();
      expect(query, 'the query editor should open with the example operations').toContain('query SearchByText {');
      expect(await graphiql.runMenuItems()).toEqual(EXAMPLE_NAMES);

      const { response, resultText } = await graphiql.run('SearchByText', { fromMenu: true });
      expect(await response.request().headerValue('x-tenant-id')).toBe('demo');
      const body = (await response.json()) as SearchResult;
      expect(body.errors).toBeUndefined();
      const hits = body.data?.search.hits ?? [];
      expect(hits).toHaveLength(5);
      for (const hit of hits) expect(DEMO_IDS).toContain(hit.document.externalId);
      expect(body).toEqual(await answerDirectly(response.request().postData()));
      expect(flattenWhitespace(resultText)).toContain(`"externalId": "${hits[0]!.document.externalId}"`);

      await graphiql.page.screenshot({ path: `${ARTIFACTS}graphiql-examples.png` });
      expectStayedOffline(graphiql);
    } finally {
      await graphiql.close();
    }
  });

  it('runs every example operation from the run menu as it stands, without an error', { timeout: 300_000 }, async () => {
    const graphiql = await GraphiQLPage.open(browser!, server!.origin);
    try {
      await graphiql.goto(server!.url);
      await expect.poll(() => graphiql.queryText(), { timeout: 20_000 }).toContain('query SearchByVector {');
      for (const name of EXAMPLE_NAMES) {
        const { response } = await graphiql.run(name!, { fromMenu: true });
        const body = (await response.json()) as { data?: unknown; errors?: unknown[] };
        expect(body.errors, name).toBeUndefined();
        expect(body.data, name).toBeTruthy();
      }
      expectStayedOffline(graphiql);
    } finally {
      await graphiql.close();
    }
  });
});
