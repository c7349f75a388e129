import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SourceItem } from '../../src/ingest/document-records.js';
import { csvItems, formatFromPath, jsonLinesItems, openDocumentSource, splitLines } from '../../src/ingest/document-source.js';

async function* pieces(text: string, size: number): AsyncGenerator<string> {
  for (let i = 0; i < text.length; i += size) yield text.slice(i, i + size);
}

async function collect<T>(items: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const item of items) out.push(item);
  return out;
}

const summarize = (items: SourceItem[]) =>
  items.map((item) => (item.kind === 'document' ? { line: item.line, input: item.input } : { line: item.line, error: item.error }));

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'narwhal-source-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('splitLines', () => {
  it('splits chunked text on LF, drops a CR before it, keeps a last line without a break', async () => {
    expect(await collect(splitLines(pieces('a\r\nbb\n\nccc', 2)))).toEqual(['a', 'bb', '', 'ccc']);
  });
});

describe('JSON Lines', () => {
  it('reads DocumentInput records and numbers them by physical line, blank lines included', async () => {
    const text = [
      '{"externalId":"a","content":"alpha","metadata":{"lang":"en"}}',
      '',
      '{"externalId":7,"content":"seven","embedding":[0.5,0.5]}',
      '{"content":"no id"}',
    ].join('\n');
    expect(summarize(await collect(jsonLinesItems(pieces(text, 9))))).toEqual([
      { line: 1, input: { externalId: 'a', content: 'alpha', metadata: { lang: 'en' }, embedding: null } },
      { line: 3, input: { externalId: '7', content: 'seven', metadata: null, embedding: [0.5, 0.5] } },
      { line: 4, input: { externalId: null, content: 'no id', metadata: null, embedding: null } },
    ]);
  });

  it("maps BEIR's {_id, title, text} to externalId, title + text and metadata.title", async () => {
    const text = '{"_id":"4983","title":"Brains","text":"White matter.","metadata":{"year":2002}}\n{"_id":"5","title":"","text":"Only text"}\n';
    expect(summarize(await collect(jsonLinesItems(pieces(text, 1000))))).toEqual([
      { line: 1, input: { externalId: '4983', content: 'Brains\nWhite matter.', metadata: { year: 2002, title: 'Brains' } } },
      { line: 2, input: { externalId: '5', content: 'Only text', metadata: { title: '' } } },
    ]);
  });

  it('reports bad lines with their line numbers and keeps reading', async () => {
    const text = ['{"content":"ok"}', '{not json', '[1,2]', '{"externalId":"x"}', '{"content":5}', '{"content":"v","embedding":"no"}', '{"content":"last"}'].join('\r\n');
    const items = await collect(jsonLinesItems(pieces(text, 4)));
    expect(summarize(items)).toEqual([
      { line: 1, input: expect.objectContaining({ content: 'ok' }) },
      { line: 2, error: expect.stringMatching(/^invalid JSON/) },
      { line: 3, error: 'not a JSON object' },
      { line: 4, error: 'missing "content"' },
      { line: 5, error: '"content" must be a string' },
      { line: 6, error: '"embedding" must be an array of numbers' },
      { line: 7, input: expect.objectContaining({ content: 'last' }) },
    ]);
    expect(items[1]).toMatchObject({ raw: '{not json' });
    expect(items[3]).toMatchObject({ raw: { externalId: 'x' } });
  });
});

describe('CSV', () => {
  it('maps id and content columns, a JSON metadata column and the other columns into metadata', async () => {
    const text =
      'id,content,metadata,lang\n' +
      '1,"Refunds, within 14 days","{""section"":""billing""}",en\n' +
      '2,"A ""quoted""\nmulti-line text",,fr\n' +
      '3,third,,de\n';
    expect(summarize(await collect(csvItems(pieces(text, 5))))).toEqual([
      { line: 2, input: { externalId: '1', content: 'Refunds, within 14 days', metadata: { lang: 'en', section: 'billing' }, embedding: null } },
      { line: 3, input: { externalId: '2', content: 'A "quoted"\nmulti-line text', metadata: { lang: 'fr' }, embedding: null } },
      { line: 5, input: { externalId: '3', content: 'third', metadata: { lang: 'de' }, embedding: null } },
    ]);
  });

  it('puts a title column before the text (BEIR-like), reads an embedding column, accepts _id', async () => {
    const text = '\ufeff_id,title,text,embedding\r\nd1,Brains,White matter.,"[1,0]"\r\n';
    expect(summarize(await collect(csvItems(pieces(text, 3))))).toEqual([
      { line: 2, input: { externalId: 'd1', content: 'Brains\nWhite matter.', metadata: { title: 'Brains' }, embedding: [1, 0] } },
    ]);
  });

  it('reports malformed rows by line and keeps reading', async () => {
    const text = 'externalId,content,metadata\na,one,\nb,"two"x,\nc,three\nd,four,not-json\ne,five,"{}"\n';
    const items = await collect(csvItems(pieces(text, 8)));
    expect(summarize(items)).toEqual([
      { line: 2, input: expect.objectContaining({ externalId: 'a' }) },
      { line: 3, error: expect.stringMatching(/^malformed CSV/) },
      { line: 4, error: 'expected 3 fields as in the header, got 2' },
      { line: 5, error: '"metadata" column must hold a JSON object' },
      { line: 6, input: expect.objectContaining({ externalId: 'e', metadata: {} }) },
    ]);
    expect(items[3]).toMatchObject({ raw: { externalId: 'd', content: 'four', metadata: 'not-json' } });
  });

  it('shares each chunk\'s bytes out over the records it completes, for progress', async () => {
    const text = 'id,content\n1,a\n2,b\n3,c\n';
    const done: number[] = [];
    let total = 0;
    for await (const _ of csvItems(pieces(text, 10), (bytes) => (total += bytes))) done.push(total);
    expect(done).toHaveLength(3);
    expect(done[0]).toBeLessThan(done[2] as number);
    expect(total).toBe(Buffer.byteLength(text));
  });

  it('refuses a header without a content column before reading any row', async () => {
    await expect(collect(csvItems(pieces('id,body\n1,x\n', 100)))).rejects.toThrow(/no "content" or "text" column/);
  });
});

describe('openDocumentSource', () => {
  it('streams a file and counts the bytes read', async () => {
    const path = join(dir, 'docs.ndjson');
    const text = '{"externalId":"é","content":"ünïcode ✓"}\n{"externalId":"b","content":"two"}\n';
    await writeFile(path, text);
    expect(formatFromPath(path)).toBe('jsonl');
    expect(formatFromPath('x.CSV')).toBe('csv');
    expect(formatFromPath('x.txt')).toBeUndefined();
    const source = await openDocumentSource(path, 'jsonl');
    expect(source.totalBytes).toBe(Buffer.byteLength(text));
    const iterator = source.items[Symbol.asyncIterator]();
    const first = await iterator.next();
    expect(first.value).toMatchObject({ kind: 'document', input: { content: 'ünïcode ✓' } });
    // Progress counts the bytes of records handed out, not of what the stream read ahead.
    expect(source.position()).toEqual({ bytes: Buffer.byteLength(text.split('\n')[0] as string) + 1, items: 1 });
    expect(await iterator.next()).toMatchObject({ value: { input: { content: 'two' } } });
    expect((await iterator.next()).done).toBe(true);
    expect(source.position()).toEqual({ bytes: source.totalBytes, items: 2 });
  });
});
