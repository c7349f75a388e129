import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { embedText } from '../helpers/hashing-embedder.js';
import { type GraphQLResponse, type TestApp, startTestApp } from '../helpers/test-app.js';

// Six tenants at once, a few hundred seeded random operations, each aimed at drawing another
// tenant's rows out: searches lured by other tenants' words and vectors, lookups and federation
// references by other tenants' ids, upserts of colliding external ids, paging, deletes. Every
// document's content and metadata carry its tenant's slug, so a leak shows up as a foreign slug
// or a foreign id in a response. The query-embedding cache is keyed by model and text (a vector
// depends on the text alone), so a cross-tenant cache hit would also surface here as a foreign tag.
const TENANTS = 6;
const OPS_PER_TENANT = 60;
const SEED = 0x5eed_cafe;
const WORDS = ['whale', 'krill', 'sonar', 'tide', 'reef', 'current', 'plankton', 'abyss', 'fjord', 'kelp'];

type Probe = { slug: string; ids: Set<string> };
let t: TestApp;
let probes: Probe[];

function mulberry32(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let x = Math.imul(state ^ (state >>> 15), 1 | state);
    x = (x + Math.imul(x ^ (x >>> 7), 61 | x)) ^ x;
    return ((x ^ (x >>> 14)) >>> 0) / 2 ** 32;
  };
}

const DOC_FIELDS = 'id externalId content metadata';
const UPSERT = `mutation($d: [DocumentInput!]!) { upsertDocuments(documents: $d) { documents { ${DOC_FIELDS} } } }`;

beforeAll(async () => {
  // A low threshold promotes some shared tenants to partitions of their own mid-run.
  t = await startTestApp({ env: { PROMOTION_THRESHOLD: '14' } });
  probes = [];
  for (let i = 0; i < TENANTS; i++) {
    const slug = await t.createTenant('probe', i < 2 ? { placement: 'DEDICATED' } : {});
    const docs = Array.from({ length: 12 }, (_, n) => ({
      externalId: `doc-${n}`,
      content: `${slug} ${WORDS[n % WORDS.length]} ${WORDS[(n * 3 + i) % WORDS.length]} number ${n}`,
      metadata: { owner: slug, n },
    }));
    const result = await t.as(slug)(UPSERT, { d: docs });
    expect(result.errors).toBeUndefined();
    probes.push({ slug, ids: new Set(result.data!.upsertDocuments.documents.map((d: { id: string }) => d.id)) });
  }
});
afterAll(async () => {
  expect(t.unexpectedErrors).toEqual([]);
  await t.close();
});

/** Every `id` anywhere in a response. */
function idsIn(value: unknown, found: string[] = []): string[] {
  if (Array.isArray(value)) for (const item of value) idsIn(item, found);
  else if (value !== null && typeof value === 'object') {
    for (const [key, inner] of Object.entries(value)) {
      if (key === 'id' && typeof inner === 'string') found.push(inner);
      else idsIn(inner, found);
    }
  }
  return found;
}

describe('isolation probe', () => {
  it("never answers one tenant with another tenant's rows, ids or tags", async () => {
    const counts: Record<string, number> = {};
    const leaks: string[] = [];

    const check = (me: Probe, op: string, result: GraphQLResponse) => {
      counts[op] = (counts[op] ?? 0) + 1;
      expect(result.errors, `${op} as ${me.slug}`).toBeUndefined();
      const text = JSON.stringify(result.data);
      for (const other of probes) {
        if (other === me) continue;
        if (text.includes(other.slug)) leaks.push(`${op} as ${me.slug} returned ${other.slug}'s tag`);
        for (const id of idsIn(result.data)) if (other.ids.has(id)) leaks.push(`${op} as ${me.slug} returned ${other.slug}'s id ${id}`);
      }
    };

    const run = async (me: Probe, random: () => number) => {
      const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)]!;
      const others = probes.filter((p) => p !== me);
      const foreignIds = () => [...pick(others).ids].slice(0, 3);
      const as = t.as(me.slug);
      const ops: Record<string, () => Promise<void>> = {
        searchText: async () => {
          const mode = pick(['VECTOR', 'KEYWORD', 'HYBRID']);
          const query = `${pick(WORDS)} ${pick(WORDS)} ${pick(others).slug}`;
          const result = await as(`query($q: String!, $n: Int!) { search(query: $q, first: $n, mode: ${mode}) { hits { document { ${DOC_FIELDS} } } } }`, {
            q: query,
            n: 1 + Math.floor(random() * 20),
          });
          check(me, `searchText:${mode}`, result);
          for (const hit of result.data?.search.hits ?? []) expect(hit.document.metadata.owner).toBe(me.slug);
        },
        searchVector: async () => {
          // The nearest documents to this vector are another tenant's.
          const lure = `${pick(others).slug} ${pick(WORDS)} ${pick(WORDS)}`;
          const result = await as(`query($v: [Float!]) { search(vector: $v, first: 10) { hits { document { ${DOC_FIELDS} } } } }`, {
            v: embedText(lure),
          });
          check(me, 'searchVector', result);
        },
        lookup: async () => {
          const id = random() < 0.3 ? pick([...me.ids]) : pick(foreignIds());
          const result = await as(`query($id: ID!) { document(id: $id) { ${DOC_FIELDS} } node(id: $id) { id ... on Document { content } } }`, { id });
          check(me, 'lookup', result);
          if (me.ids.has(id)) expect(result.data!.document?.id).toBe(id);
          else expect(result.data).toEqual({ document: null, node: null });
        },
        page: async () => {
          let after: string | null = null;
          for (let page = 0; page < 3; page++) {
            const result: GraphQLResponse = await as(
              `query($n: Int!, $after: String) { documents(first: $n, after: $after) { edges { node { ${DOC_FIELDS} } } pageInfo { hasNextPage endCursor } } }`,
              { n: 1 + Math.floor(random() * 8), after },
            );
            check(me, 'page', result);
            for (const edge of result.data!.documents.edges) expect(me.ids.has(edge.node.id)).toBe(true);
            if (!result.data!.documents.pageInfo.hasNextPage) break;
            after = result.data!.documents.pageInfo.endCursor;
          }
        },
        upsert: async () => {
          // External ids collide across tenants by construction: doc-0..doc-15 exist everywhere.
          const externalId = `doc-${Math.floor(random() * 16)}`;
          const result = await as(UPSERT, { d: [{ externalId, content: `${me.slug} upserted ${pick(WORDS)}`, metadata: { owner: me.slug } }] });
          check(me, 'upsert', result);
          for (const doc of result.data!.upsertDocuments.documents) me.ids.add(doc.id);
        },
        entities: async () => {
          const mine = pick([...me.ids]);
          const theirs = foreignIds();
          const representations = [
            { __typename: 'Document', id: mine },
            ...theirs.map((id) => ({ __typename: 'Document', id })),
            { __typename: 'Tenant', slug: pick(others).slug },
            { __typename: 'Tenant', slug: me.slug },
          ];
          const result = await as(
            'query($r: [_Any!]!) { _entities(representations: $r) { ... on Document { id content } ... on Tenant { slug } } }',
            { r: representations },
          );
          check(me, 'entities', result);
          const entities = result.data!._entities;
          expect(entities[0]?.id).toBe(mine);
          expect(entities.slice(1, -1)).toEqual(Array(theirs.length + 1).fill(null));
          expect(entities.at(-1)).toEqual({ slug: me.slug });
        },
        deleteForeign: async () => {
          const result = await as('mutation($ids: [ID!]) { deleteDocuments(ids: $ids) }', { ids: foreignIds() });
          check(me, 'deleteForeign', result);
          expect(result.data!.deleteDocuments).toBe(0);
        },
        tenant: async () => {
          const result = await as('{ tenant { slug documentCount } }');
          check(me, 'tenant', result);
          expect(result.data!.tenant.slug).toBe(me.slug);
        },
      };
      const names = Object.keys(ops);
      for (let i = 0; i < OPS_PER_TENANT; i++) await ops[pick(names)]!();
    };

    await Promise.all(probes.map((probe, index) => run(probe, mulberry32(SEED + index))));
    await t.app.deps.maintenance.idle();

    expect(leaks).toEqual([]);
    // The seeded mix really exercised every kind of probe.
    for (const op of ['searchText:VECTOR', 'searchText:KEYWORD', 'searchText:HYBRID', 'searchVector', 'lookup', 'page', 'upsert', 'entities', 'deleteForeign', 'tenant']) {
      expect(counts[op], op).toBeGreaterThan(3);
    }
    // Afterwards every tenant holds exactly its own documents, wherever promotion put them.
    for (const me of probes) {
      const result = await t.as(me.slug)(`{ tenant { documentCount } documents(first: 100) { edges { node { ${DOC_FIELDS} } } } }`);
      check(me, 'final', result);
      const listed = result.data!.documents.edges.map((e: { node: { id: string; metadata: { owner: string } } }) => e.node);
      expect(listed.every((doc: { id: string; metadata: { owner: string } }) => me.ids.has(doc.id) && doc.metadata.owner === me.slug)).toBe(true);
      expect(result.data!.tenant.documentCount).toBe(listed.length);
    }
    expect(leaks).toEqual([]);
  });
});
