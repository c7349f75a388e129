import { chromium } from 'playwright-core';
import { renderGraphiQL } from '@graphql-yoga/render-graphiql';
import { createYoga, createSchema } from 'graphql-yoga';
import { serveOnLoopback } from '../helpers/http-server.js';
import { GRAPHIQL_EXAMPLE_OPERATIONS } from '../../src/demo/graphiql-examples.js';

const schema = createSchema({ typeDefs: 'type Query { a: Int }' });
const headers = JSON.stringify({ 'x-tenant-id': 'demo' }, null, 2);
const variants: Record<string, object> = {
  defaultQuery: { defaultQuery: GRAPHIQL_EXAMPLE_OPERATIONS, headers },
  query: { query: GRAPHIQL_EXAMPLE_OPERATIONS, headers },
  defaultTabs: { defaultTabs: [{ query: GRAPHIQL_EXAMPLE_OPERATIONS, headers }], headers },
};
const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'] });
for (const [name, graphiql] of Object.entries(variants)) {
  const yoga = createYoga({ schema, renderGraphiQL, landingPage: false, graphiql: graphiql as any });
  const server = await serveOnLoopback(yoga);
  for (const suffix of ['', '?query=%7B%20a%20%7D']) {
    const page = await browser.newPage();
    await page.goto(server.url + suffix);
    await page.waitForSelector('.graphiql-query-editor .monaco-editor .view-lines', { timeout: 30000 });
    await page.waitForTimeout(300);
    const text = await page.locator('.graphiql-query-editor .view-lines').innerText();
    const hdr = await page.evaluate(() => [...document.querySelectorAll('.graphiql-editor-tool .view-lines')].map((e) => (e as HTMLElement).innerText).join('|'));
    console.log(name, JSON.stringify(suffix), '=>', JSON.stringify(text.slice(0, 80)), 'headers:', JSON.stringify(hdr));
    await page.close();
  }
  await server.close();
}
await browser.close();
