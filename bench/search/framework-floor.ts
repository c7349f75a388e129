import { createSchema, createYoga } from 'graphql-yoga';
import { bareSearchHandler } from './bare-search-handler.js';
import { startHttpLoadClient } from '../shared/http-load-client.js';
import { listenOnLoopback } from '../shared/loopback-server.js';
import { round, summarizeLatencies } from '../shared/search-metrics.js';
import { withMainThreadCpu } from './thread-cpu.js';

// The search operation's result shape, answered without a database: ten hits, as a search returns.
const HITS = Array.from({ length: 10 }, (_, i) => ({ distance: 0.25 + i / 100, document: { id: `RG9jdW1lbnQ6${1000 + i}`, externalId: `doc-${i}` } }));
type Hit = (typeof HITS)[number];
const TYPE_DEFS = `
  type Query { search(vector: [Float!], first: Int): SearchResult }
  type SearchResult { hits: [Hit!]! }
  type Hit { distance: Float! document: Document! }
  type Document { id: ID! externalId: String }
`;

/**
 * What graphql-yoga itself costs per request on this machine, with nothing of Narwhal's: the
 * same operation and bodies as the search passes, answered with constant hits by yoga as it comes
 * (one-field schema, default plugins) and by a bare node:http handler. The difference is the
 * least any GraphQL server on this stack adds to a search; it is measured in the same run as the
 * passes it explains. Main-thread CPU per request is read from /proc (Linux only).
 */
export async function measureFrameworkFloor(query: string, variables: readonly Record<string, unknown>[], clientCounts: readonly number[]) {
  const answer = async () => HITS;
  const servers = { bare: await listenOnLoopback(bareSearchHandler(answer), '/search'), yoga: await listenOnLoopback(plainYoga(answer), '/graphql') };
  const figures: Record<string, number | undefined> = {};
  try {
    for (const clients of clientCounts) {
      for (const [name, server] of Object.entries(servers)) {
        const load = startHttpLoadClient(server.url, {}, clients);
        try {
          await load.pass(query, variables.slice(0, 50), clients, 0);
          const pass = await withMainThreadCpu(variables.length, () => load.pass(query, variables, clients, 0));
          figures[`floor_${name}_${clients}c_p50_ms`] = round(summarizeLatencies(pass.latenciesMs).p50, 3);
          figures[`floor_${name}_${clients}c_qps`] = round(variables.length / pass.seconds, 0);
          figures[`floor_${name}_${clients}c_main_cpu_ms`] = pass.mainCpuMsPerItem === undefined ? undefined : round(pass.mainCpuMsPerItem, 3);
        } finally {
          await load.close();
        }
      }
    }
  } finally {
    await servers.bare.close();
    await servers.yoga.close();
  }
  return figures;
}

/**
 * graphql-yoga as it comes (default plugins, graphql-js execution) with a one-field schema whose
 * resolver answers the search operation with `search(vector)`: the least GraphQL server on this
 * stack. Given the benchmark's own SQL, it is the ceiling any server on yoga could reach.
 */
export function plainYoga(search: (vector: number[]) => Promise<readonly Hit[]>) {
  const schema = createSchema({
    typeDefs: TYPE_DEFS,
    resolvers: { Query: { search: async (_root: unknown, args: { vector: number[] }) => ({ hits: await search(args.vector) }) } },
  });
  return createYoga({ schema, landingPage: false, graphiql: false, logging: false });
}
