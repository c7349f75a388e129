/**
 * Text searches by mode (VECTOR, KEYWORD, HYBRID) through the GraphQL HTTP endpoint, written
 * against a schema that may not have the `mode` argument yet: introspection says which modes the
 * server accepts, and the query document only names what the schema has.
 */
import { performance } from 'node:perf_hooks';
import { type GraphqlClient, GraphqlRequestError } from '../shared/graphql-client.js';

export const SEARCH_MODES = ['VECTOR', 'KEYWORD', 'HYBRID'] as const;
export type SearchMode = (typeof SEARCH_MODES)[number];

type SearchSupport = {
  /** Whether Query.search takes a `mode` argument. */
  modeArgument: boolean;
  /** SearchMode enum values the server has (empty when the enum does not exist). */
  modes: string[];
  /** Whether SearchInfo has a `keywordRanking` field. */
  keywordRanking: boolean;
};

const INTROSPECT = /* GraphQL */ `
  query BenchSearchSupport {
    mode: __type(name: "SearchMode") { enumValues { name } }
    query: __type(name: "Query") { fields { name args { name } } }
    info: __type(name: "SearchInfo") { fields { name } }
  }
`;

type IntrospectionData = {
  mode: { enumValues: { name: string }[] | null } | null;
  query: { fields: { name: string; args: { name: string }[] }[] | null } | null;
  info: { fields: { name: string }[] | null } | null;
};

export async function detectSearchSupport(client: GraphqlClient): Promise<SearchSupport> {
  const data = await client.request<IntrospectionData>(INTROSPECT);
  const search = data.query?.fields?.find((field) => field.name === 'search');
  return {
    modeArgument: search?.args.some((arg) => arg.name === 'mode') ?? false,
    modes: data.mode?.enumValues?.map((value) => value.name) ?? [],
    keywordRanking: data.info?.fields?.some((field) => field.name === 'keywordRanking') ?? false,
  };
}

/** Why a mode cannot run on this server, or null when it can (VECTOR is the default without `mode`). */
function unavailableReason(support: SearchSupport, mode: SearchMode): string | null {
  if (mode === 'VECTOR' && !support.modeArgument) return null;
  if (!support.modeArgument) return 'Query.search has no "mode" argument';
  if (!support.modes.includes(mode)) return `SearchMode has no ${mode}`;
  return null;
}

// BENCH_FUSION='{"method":"WEIGHTED","alpha":0.2}': the fusion HYBRID uses (default: the server's).
const FUSION = process.env.BENCH_FUSION ? (JSON.parse(process.env.BENCH_FUSION) as Record<string, unknown>) : undefined;

type FusionSettings = Record<string, unknown>;

function searchDocument(
  support: SearchSupport,
  mode: SearchMode,
  fusion: FusionSettings | undefined = FUSION,
): { query: string; variables: (q: string) => Record<string, unknown> } {
  const withMode = support.modeArgument;
  const withFusion = withMode && mode === 'HYBRID' && fusion !== undefined;
  const info = support.keywordRanking ? 'strategy keywordRanking' : 'strategy';
  const query = `query BenchQuality($q: String!${withMode ? ', $mode: SearchMode' : ''}${withFusion ? ', $fusion: FusionInput' : ''}) {
    search(query: $q${withMode ? ', mode: $mode' : ''}${withFusion ? ', fusion: $fusion' : ''}, first: 100) {
      hits { rank document { externalId } }
      info { ${info} }
    }
  }`;
  return { query, variables: (q) => (withMode ? { q, mode, ...(withFusion ? { fusion } : {}) } : { q }) };
}

type SearchData = {
  search: {
    hits: { rank: number; document: { externalId: string } }[];
    info: { strategy: string; keywordRanking?: string | null };
  };
};

type TextSearchPass = {
  /** HTTP round trip of each measured query, in milliseconds, in query order. */
  latenciesMs: number[];
  /** Returned externalIds per query id, best first. */
  rankings: Map<string, string[]>;
  /** How often each info.strategy / info.keywordRanking value came back. */
  strategies: Map<string, number>;
  keywordRankings: Map<string, number>;
};

export type ModeOutcome = { available: true; pass: TextSearchPass } | { available: false; reason: string };

const count = (tally: Map<string, number>, key: string) => tally.set(key, (tally.get(key) ?? 0) + 1);

/** A request the server refused because the operation does not fit its schema (HTTP 400). */
function validationFailure(error: unknown): string | null {
  if (!(error instanceof GraphqlRequestError)) return null;
  const body = error.body as { errors?: { message: string; extensions?: { code?: string } }[] } | undefined;
  const errors = body?.errors ?? [];
  if (errors.length === 0 || !errors.every((e) => e.extensions?.code === 'GRAPHQL_VALIDATION_FAILED')) return null;
  return errors.map((e) => e.message).join('; ');
}

/**
 * One mode over all queries: one client, one query at a time, after unmeasured warm-up queries.
 * A mode the schema rejects at the first request (validation failure) is reported unavailable;
 * any other error propagates.
 */
export async function runTextSearchPass(
  client: GraphqlClient,
  tenantSlug: string,
  options: {
    support: SearchSupport;
    mode: SearchMode;
    queries: readonly { id: string; text: string }[];
    warmup: readonly string[];
    k: number;
    /** HYBRID's fusion argument; default BENCH_FUSION, else the server's own default. */
    fusion?: FusionSettings;
  },
): Promise<ModeOutcome> {
  const reason = unavailableReason(options.support, options.mode);
  if (reason) return { available: false, reason };
  const { query, variables } = searchDocument(options.support, options.mode, options.fusion ?? FUSION);
  const headers = { 'x-tenant-id': tenantSlug };
  const searchOnce = (text: string) => client.request<SearchData>(query, variables(text), headers);

  const [probe, ...warmup] = options.warmup.length > 0 ? options.warmup : [options.queries[0]?.text ?? 'probe'];
  try {
    await searchOnce(probe as string);
  } catch (error) {
    const rejected = validationFailure(error);
    if (rejected) return { available: false, reason: rejected };
    throw error;
  }
  for (const text of warmup) await searchOnce(text);

  const pass: TextSearchPass = { latenciesMs: [], rankings: new Map(), strategies: new Map(), keywordRankings: new Map() };
  for (const { id, text } of options.queries) {
    const started = performance.now();
    const data = await searchOnce(text);
    pass.latenciesMs.push(performance.now() - started);
    const ids = checkedRanking(data.search.hits, options.k, id);
    pass.rankings.set(id, ids);
    count(pass.strategies, data.search.info.strategy);
    const ranking = data.search.info.keywordRanking;
    if (ranking !== undefined && ranking !== null) count(pass.keywordRankings, ranking);
  }
  return { available: true, pass };
}

// Metrics over a mis-ranked or duplicated list would be meaningless: fail loudly instead.
function checkedRanking(hits: SearchData['search']['hits'], k: number, queryId: string): string[] {
  if (hits.length > k) throw new Error(`query ${queryId}: ${hits.length} hits for first: ${k}`);
  hits.forEach((hit, index) => {
    if (hit.rank !== index + 1) throw new Error(`query ${queryId}: hit ${index} has rank ${hit.rank}, expected ${index + 1}`);
  });
  const ids = hits.map((hit) => hit.document.externalId);
  if (new Set(ids).size !== ids.length) throw new Error(`query ${queryId}: a document appears twice in the hits`);
  return ids;
}
