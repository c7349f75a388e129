import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp } from '../helpers/test-app.js';

/** A stand-in OTLP/HTTP collector: records every export POST, answers as a collector does. */
type Export = { path: string; contentType: string | undefined; body: string };
const exports: Export[] = [];
const collector = createServer((req, res) => {
  const chunks: Buffer[] = [];
  req.on('data', (chunk: Buffer) => chunks.push(chunk));
  req.on('end', () => {
    exports.push({ path: req.url ?? '', contentType: req.headers['content-type'], body: Buffer.concat(chunks).toString('utf8') });
    res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
  });
});
let endpoint: string;

beforeAll(async () => {
  await new Promise<void>((resolve) => collector.listen(0, '127.0.0.1', resolve));
  endpoint = `http://127.0.0.1:${(collector.address() as AddressInfo).port}`;
});
afterAll(async () => {
  collector.closeAllConnections();
  await new Promise((resolve) => collector.close(resolve));
});

type OtlpValue = { stringValue?: string; intValue?: string | number; arrayValue?: { values: OtlpValue[] } };
type OtlpSpan = { name: string; attributes: { key: string; value: OtlpValue }[] };
const spansOf = (body: string): OtlpSpan[] =>
  (JSON.parse(body) as { resourceSpans: { scopeSpans: { spans: OtlpSpan[] }[] }[] }).resourceSpans.flatMap((r) =>
    r.scopeSpans.flatMap((s) => s.spans),
  );
const attribute = (span: OtlpSpan, key: string) => span.attributes.find((a) => a.key === key)?.value;

describe('tracing', () => {
  it('is off without OTEL_EXPORTER_OTLP_ENDPOINT: nothing is exported', async () => {
    const t = await startTestApp();
    const slug = await t.createTenant('untraced');
    await t.as(slug)('{ tenant { slug } }');
    await t.close();
    expect(exports).toHaveLength(0);
  });

  it('exports a span per operation and per embedding batch, with names and codes but no variable values', async () => {
    const t = await startTestApp({ env: { OTEL_EXPORTER_OTLP_ENDPOINT: endpoint } });
    const slug = await t.createTenant('traced');
    const secretText = 'sealed-envelope-5d1e';
    const found = await t.as(slug)('query Lookup($q: String!) { search(query: $q) { hits { rank } } }', { q: secretText });
    expect(found.errors).toBeUndefined();
    const refused = await t.as(slug)('query Short($v: [Float!]) { search(vector: $v) { hits { rank } } }', { v: [0.314159265] });
    expect(refused.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
    await t.close(); // flushes the batch span processor

    expect(exports.length).toBeGreaterThan(0);
    expect(exports.every((e) => e.path === '/v1/traces')).toBe(true);
    expect(exports.map((e) => e.body).join('')).toContain('"stringValue":"narwhal"');
    const spans = exports.flatMap((e) => spansOf(e.body));
    const lookup = spans.find((s) => s.name === 'query Lookup');
    expect(lookup).toBeDefined();
    expect(attribute(lookup!, 'graphql.operation.name')?.stringValue).toBe('Lookup');
    expect(attribute(lookup!, 'graphql.operation.type')?.stringValue).toBe('query');
    expect(attribute(lookup!, 'narwhal.tenant')?.stringValue).toBe(slug);
    const short = spans.find((s) => s.name === 'query Short');
    expect(attribute(short!, 'graphql.error.codes')?.arrayValue?.values.map((v) => v.stringValue)).toEqual(['BAD_USER_INPUT']);
    expect(spans.some((s) => s.name === 'embedding batch')).toBe(true);
    const everything = exports.map((e) => e.body).join('\n');
    expect(everything).not.toContain(secretText);
    expect(everything).not.toContain('0.314159265');
    expect(everything).not.toContain('search(');
  });
});
