import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { searchKeyword } from '../../src/search/search.repository.js';
import { findTenantBySlug } from '../../src/tenants/tenant.service.js';
import { shardOf } from '../../src/tenants/tenant.js';
import { embedText } from '../helpers/hashing-embedder.js';
import { toVectorParameter } from '../../src/db/vector.js';
import { reciprocalRankFusion, weightedFusion } from '../../src/search/fusion.js';
import { type TestApp, errorCode, startTestApp } from '../helpers/test-app.js';

let t: TestApp;
let slug: string;
// BM25 where the engine has pg_textsearch (the embedded one does), ts_rank elsewhere.
let ranking: 'BM25' | 'TS_RANK';

beforeAll(async () => {
  t = await startTestApp();
  slug = await t.createTenant('hybrid');
  const d = [
    { externalId: 'whales', content: 'Whales migrate across oceans every year.' },
    { externalId: 'krill', content: 'Krill are the main food of baleen whales.' },
    { externalId: 'bread', content: 'Sourdough bread needs a lively starter.' },
    { externalId: 'ocean', content: 'The ocean covers most of the planet.' },
  ];
  expect((await t.as(slug)('mutation($d: [DocumentInput!]!) { upsertDocuments(documents: $d) { documents { id } } }', { d })).errors).toBeUndefined();
  const { rows } = await sql<{ n: number }>`select count(*)::int as n from pg_extension where extname = 'pg_textsearch'`.execute(t.db);
  ranking = rows[0]!.n > 0 ? 'BM25' : 'TS_RANK';
});
afterAll(async () => {
  expect(t.unexpectedErrors).toEqual([]);
  await t.close();
});

const SEARCH = `query($q: String, $mode: SearchMode, $fusion: FusionInput) {
  search(query: $q, mode: $mode, fusion: $fusion, first: 4) {
    hits { rank distance score keywordScore fusedScore document { externalId } }
    info { mode keywordRanking strategy complete reason }
  }
}`;

describe('keyword and hybrid search', () => {
  it('KEYWORD ranks by full-text relevance over an OR of the terms, stemmed, with scores per hit', async () => {
    const result = await t.as(slug)(SEARCH, { q: 'whale migrations', mode: 'KEYWORD' });
    const { hits, info } = result.data!.search;
    expect(hits.map((h: any) => h.document.externalId)).toEqual(['whales', 'krill']);
    expect(hits[0].keywordScore).toBeGreaterThan(hits[1].keywordScore);
    expect(hits.every((h: any) => h.fusedScore === null && h.distance === null && h.score === null)).toBe(true);
    expect(info).toMatchObject({ mode: 'KEYWORD', keywordRanking: ranking, complete: true });
  });

  it('HYBRID fuses both rankings and reports each score separately', async () => {
    for (const fusion of [undefined, { method: 'RRF', k: 60 }, { method: 'WEIGHTED', alpha: 0.3 }]) {
      const result = await t.as(slug)(SEARCH, { q: 'whales ocean', mode: 'HYBRID', fusion });
      const { hits, info } = result.data!.search;
      expect(info).toMatchObject({ mode: 'HYBRID', keywordRanking: ranking, complete: true });
      expect(hits).toHaveLength(4);
      for (let i = 1; i < hits.length; i++) expect(hits[i].fusedScore).toBeLessThanOrEqual(hits[i - 1].fusedScore);
      expect(hits.find((h: any) => h.document.externalId === 'bread').keywordScore).toBeNull();
      expect(hits[0].document.externalId).toBe('whales');
    }
  });

  it("HYBRID takes the client's own vector with the words: the vector ranks, the words match, nothing is embedded", async () => {
    const BOTH = `query($q: String, $v: [Float!], $mode: SearchMode) {
      search(query: $q, vector: $v, mode: $mode, first: 4) { hits { distance keywordScore document { externalId } } info { mode } }
    }`;
    // The vector is the bread document's, the words are about whales: each side must follow its own input.
    const v = embedText('Sourdough bread needs a lively starter.');
    const callsBefore = t.embedderCalls.length;
    const hybrid = await t.as(slug)(BOTH, { q: 'whales', v, mode: 'HYBRID' });
    expect(hybrid.errors).toBeUndefined();
    expect(t.embedderCalls.length).toBe(callsBefore);
    const hits = hybrid.data!.search.hits as any[];
    const byId = new Map(hits.map((h) => [h.document.externalId, h]));
    expect(byId.get('bread').distance).toBeCloseTo(0, 5);
    expect(byId.get('bread').keywordScore).toBeNull();
    expect(byId.get('whales').keywordScore).toBeGreaterThan(0);
    // The vector side's distances are the VECTOR search's for the same vector.
    const vectorOnly = await t.as(slug)(BOTH, { v, mode: 'VECTOR' });
    for (const hit of vectorOnly.data!.search.hits as any[]) expect(byId.get(hit.document.externalId)?.distance).toBeCloseTo(hit.distance, 6);
    // VECTOR and KEYWORD keep exactly one.
    for (const mode of ['VECTOR', 'KEYWORD']) {
      const both = await t.as(slug)(BOTH, { q: 'whales', v, mode });
      expect(errorCode(both)).toBe('BAD_USER_INPUT');
      expect(both.errors?.[0]?.extensions?.field).toBe('query');
      expect(both.errors?.[0]?.message).toContain('only HYBRID takes both');
    }
  });

  it('rejects KEYWORD without text and bad fusion settings, naming the field', async () => {
    const noText = await t.as(slug)('query($v: [Float!]) { search(vector: $v, mode: KEYWORD) { hits { rank } } }', {
      v: Array.from({ length: 512 }, () => 0.1),
    });
    expect(errorCode(noText)).toBe('BAD_USER_INPUT');
    expect(noText.errors?.[0]?.extensions?.field).toBe('query');
    const badAlpha = await t.as(slug)(SEARCH, { q: 'whales', mode: 'HYBRID', fusion: { alpha: 1.5 } });
    expect(badAlpha.errors?.[0]?.extensions?.field).toBe('fusion.alpha');
    const badTrust = await t.as(slug)(SEARCH, { q: 'whales', mode: 'HYBRID', fusion: { vectorTrust: -1 } });
    expect(badTrust.errors?.[0]?.extensions?.field).toBe('fusion.vectorTrust');
    const both = await t.as(slug)(SEARCH, { q: 'whales', mode: 'HYBRID', fusion: { alpha: 0.5, vectorTrust: 1 } });
    expect(both.errors?.[0]?.extensions?.field).toBe('fusion');
    const badK = await t.as(slug)(SEARCH, { q: 'whales', mode: 'HYBRID', fusion: { method: 'RRF', k: 0 } });
    expect(badK.errors?.[0]?.extensions?.field).toBe('fusion.k');
  });
});

describe('fusion functions', () => {
  const a = [{ id: 'x', score: 0.9 }, { id: 'y', score: 0.5 }, { id: 'z', score: 0.1 }];
  const b = [{ id: 'y', score: 3 }, { id: 'w', score: 1 }];

  it('reciprocal rank fusion sums 1 / (k + rank)', () => {
    const fused = reciprocalRankFusion([a, b], 60);
    expect(fused[0]).toEqual({ id: 'y', score: 1 / 62 + 1 / 61 });
    expect(fused.map((f) => f.id)).toEqual(['y', 'x', 'w', 'z']);
  });

  it('weighted fusion with alpha mixes min-max normalized scores', () => {
    const fused = weightedFusion(a, b, { alpha: 1 });
    expect(fused.slice(0, 3)).toEqual([{ id: 'x', score: 1 }, { id: 'y', score: 0.5 }, { id: 'z', score: 0 }]);
  });

  it('without alpha, the ranking whose best hit stands out leads', () => {
    const flat = [{ id: 'p', score: 0.51 }, { id: 'q', score: 0.5 }, { id: 'r', score: 0.5 }, { id: 's', score: 0.49 }];
    const peaked = [{ id: 's', score: 9 }, { id: 'r', score: 1 }, { id: 'q', score: 1 }, { id: 'p', score: 1 }];
    expect(weightedFusion(flat, peaked, { vectorTrust: 1 })[0]?.id).toBe('s');
  });

  it('vector trust scales the vector evidence: 0 keeps the keyword order, a high trust lets vectors lead', () => {
    const vector = [{ id: 'p', score: 9 }, { id: 'q', score: 1 }, { id: 'r', score: 1 }, { id: 's', score: 1 }];
    const keyword = [{ id: 's', score: 9 }, { id: 'r', score: 2 }, { id: 'q', score: 1.5 }, { id: 'p', score: 1 }];
    expect(weightedFusion(vector, keyword, { vectorTrust: 0 }).map((f) => f.id)).toEqual(['s', 'r', 'q', 'p']);
    expect(weightedFusion(vector, keyword, { vectorTrust: 10 })[0]?.id).toBe('p');
  });
});

describe('grouping and autocut', () => {
  it('returns the best hit per group key and cuts where scores drop sharply', async () => {
    const chunks = await t.createTenant('chunks');
    const d = [
      { content: 'whales whales whales sing', metadata: { source: 'a' } },
      { content: 'whales sing songs', metadata: { source: 'a' } },
      { content: 'whales sing', metadata: { source: 'b' } },
      { content: 'bread and butter', metadata: { source: 'c' } },
      { content: 'no source at all about whales singing' },
    ];
    await t.as(chunks)('mutation($d: [DocumentInput!]!) { upsertDocuments(documents: $d) { documents { id } } }', { d });
    const grouped = await t.as(chunks)(
      '{ search(query: "whales sing", first: 10, groupBy: ["source"]) { hits { document { metadata content } } info { complete } } }',
    );
    const sources = grouped.data!.search.hits.map((h: any) => h.document.metadata.source ?? null);
    expect(sources.filter((s: string | null) => s === 'a')).toHaveLength(1);
    expect(new Set(sources).size).toBe(sources.length);
    expect(sources).toHaveLength(4);
    const cut = await t.as(chunks)('{ search(query: "whales sing", first: 10, mode: KEYWORD, autocut: 1) { hits { keywordScore } } }');
    const all = await t.as(chunks)('{ search(query: "whales sing", first: 10, mode: KEYWORD) { hits { keywordScore } } }');
    expect(cut.data!.search.hits.length).toBeLessThan(all.data!.search.hits.length);
    expect(cut.data!.search.hits.length).toBeGreaterThan(0);
  });
});

describe('autocut', () => {
  it('cuts after the Nth step larger than twice the average step', async () => {
    const { autocut } = await import('../../src/search/result-shaping.js');
    const scores = [1, 0.98, 0.96, 0.5, 0.48, 0.1];
    expect(autocut(scores, (s) => s, 1)).toEqual([1, 0.98, 0.96]);
    expect(autocut(scores, (s) => s, 2)).toEqual([1, 0.98, 0.96, 0.5, 0.48]);
    expect(autocut([0.9, 0.8, 0.7, 0.6], (s) => s, 1)).toEqual([0.9, 0.8, 0.7, 0.6]);
  });
});

describe('ts_rank ranking (engines without pg_textsearch)', () => {
  it('matches any stemmed term and ranks by ts_rank', async () => {
    const tenant = (await findTenantBySlug(t.app.deps, slug))!;
    const rows = await searchKeyword(t.db, shardOf(tenant), {
      text: 'whale migrations',
      textSearchConfig: 'english',
      vector: toVectorParameter(embedText('whale migrations')),
      limit: 10,
      metric: 'cosine',
    });
    expect(rows.map((row) => row.external_id)).toEqual(['whales', 'krill']);
    expect(rows[0]!.keyword_score).toBeGreaterThan(rows[1]!.keyword_score);
  });
});

describe('keyword search on a dedicated tenant', () => {
  it('returns only documents that match, best first, from the partition\'s own index', async () => {
    const dedicated = await t.createTenant('kw-dedicated', { placement: 'DEDICATED' });
    const d = [
      { externalId: 'a', content: 'whales and more whales' },
      { externalId: 'b', content: 'a whale' },
      { externalId: 'c', content: 'bread' },
      { externalId: 'd', content: 'butter' },
    ];
    await t.as(dedicated)('mutation($d: [DocumentInput!]!) { upsertDocuments(documents: $d) { documents { id } } }', { d });
    const result = await t.as(dedicated)('{ search(query: "whales", mode: KEYWORD, first: 10) { hits { keywordScore document { externalId } } } }');
    const hits = result.data!.search.hits;
    expect(hits.map((h: any) => h.document.externalId).sort()).toEqual(['a', 'b']);
    expect(hits.every((h: any) => h.keywordScore > 0)).toBe(true);
  });
});
