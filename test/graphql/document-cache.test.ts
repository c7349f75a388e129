import { type DocumentNode, parse } from 'graphql';
import { describe, expect, it } from 'vitest';
import { createDocumentCaches } from '../../src/graphql/document-cache.js';

// Yoga's parse caches, bounded: what they keep, what they refuse, and how many entries.
describe('createDocumentCaches', () => {
  const document: DocumentNode = parse('{ __typename }');

  it('keeps the parse of a query text up to 64 KB', () => {
    const { documentCache } = createDocumentCaches();
    const text = `{ __typename }${' '.repeat(64 * 1024 - 14)}`;
    documentCache.set(text, document);
    expect(documentCache.get(text)).toBe(document);
  });

  it('never keeps the parse (or parse error) of a longer query text', () => {
    const { documentCache, errorCache } = createDocumentCaches();
    const text = `{ __typename }${' '.repeat(64 * 1024)}`;
    documentCache.set(text, document);
    errorCache.set(text, new Error('Syntax Error'));
    expect(documentCache.get(text)).toBeUndefined();
    expect(errorCache.get(text)).toBeUndefined();
  });

  it('holds at most 1,024 entries, dropping the least recently used', () => {
    const { documentCache } = createDocumentCaches();
    for (let i = 0; i <= 1024; i += 1) documentCache.set(`{ a${i}: __typename }`, document);
    expect(documentCache.get('{ a0: __typename }')).toBeUndefined();
    expect(documentCache.get('{ a1: __typename }')).toBe(document);
    expect(documentCache.get('{ a1024: __typename }')).toBe(document);
  });
});
