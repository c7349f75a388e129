import { performance } from 'node:perf_hooks';
import { intFromEnv, runClientLoops, after, sleep } from '../shared/client-loops.js';
import { ADMIN_TOKEN, type Log, createBatchSource, serverEnv, startStandInEmbedder, withTempDir } from './setup.js';
import { OPERATIONS, createTenant, preload, tenantHeaders } from '../shared/narwhal-operations.js';
import { type Outcome, createGraphqlClient } from '../shared/graphql-client.js';
import { type OutcomeSummary, describeSummary, summarizeOutcomes } from '../shared/outcome-tally.js';
import { createRandomText } from '../shared/random-text.js';
import { round } from '../shared/search-metrics.js';
import { startServerProcess } from '../shared/server-process.js';

const FAILURES = 3;
const TIMEOUT_MS = 1000;

type DownPhase = {
  /** How the provider failed: 503 answers, or no answer (the request times out after EMBEDDING_TIMEOUT_MS). */
  mode: '503' | 'timeout';
  /** Text searches that failed by reaching the provider before the circuit opened, and how long they took. */
  before_open: OutcomeSummary;
  /** While the circuit is open: text searches (distinct texts) and vector searches, side by side. */
  text_search_open: OutcomeSummary;
  vector_search_open: OutcomeSummary;
  /** Requests that reached the provider while the circuit was open (none expected within the cooldown). */
  provider_calls_while_open: number;
  /** From the provider answering again to the first successful text search. */
  recovery_s: number | null;
  /** From the first circuit-open refusal to that success: about the cooldown. */
  circuit_open_s: number | null;
};

/**
 * The embedding provider down: a server on a local OpenAI-protocol stand-in with
 * EMBEDDING_CIRCUIT_FAILURES=3 and no retries. The stand-in first answers 503, later does not answer
 * at all (timeouts); each time, text searches are sent until the circuit opens, then text and vector
 * searches run side by side for a few seconds, then the stand-in recovers and the circuit must close.
 */
export async function embedderScenario(log: Log) {
  const cooldownMs = intFromEnv('FAULTS_EMBEDDER_COOLDOWN_MS', 5000);
  const measureMs = Math.min(3000, cooldownMs - 1000);
  const embedder = await startStandInEmbedder();
  const stand = embedder.server;
  try {
    return await withTempDir('narwhal-faults-embedder-', async (dataDir) => {
      const server = await startServerProcess(
        serverEnv(dataDir, {
          ...embedder.env,
          EMBEDDING_CIRCUIT_FAILURES: String(FAILURES),
          EMBEDDING_MAX_RETRIES: '0',
          EMBEDDING_CIRCUIT_COOLDOWN_MS: String(cooldownMs),
          EMBEDDING_TIMEOUT_MS: String(TIMEOUT_MS),
        }),
      );
      const client = createGraphqlClient(server.url, { maxSockets: 16, timeoutMs: 30_000 });
      const random = createRandomText(42);
      const queries = createBatchSource('q', 200, 9)();
      // Distinct texts: a cached query embedding would answer without the provider.
      const textSearch = () => client.send(OPERATIONS.textSearch, { q: `${random.sentence(3, 6)} ${random.int(1e9)}` }, tenantHeaders('embedder'));
      const vectorSearch = (i: number) => client.send(OPERATIONS.vectorSearch, { v: queries[i % queries.length]!.embedding }, tenantHeaders('embedder'));
      try {
        await createTenant(client, ADMIN_TOKEN, 'embedder');
        await preload(client, 'embedder', createBatchSource('pre', 500, 8)());
        const healthy = await sideBySide(textSearch, vectorSearch, 2000);
        log(`embedder: healthy text p50 ${healthy.text.p50_ms} ms, vector p50 ${healthy.vector.p50_ms} ms`);
        const phases: DownPhase[] = [];
        for (const mode of ['503', 'timeout'] as const) {
          stand.otherwise(mode === '503' ? { kind: 'server-error', status: 503 } : { kind: 'ok', delayMs: 600_000 });
          const beforeOpen: Outcome[] = [];
          let openAt: number | undefined;
          for (let attempt = 0; attempt < 20 && openAt === undefined; attempt++) {
            const outcome = await textSearch();
            if (/circuit open/.test(outcome.message ?? '')) openAt = outcome.endedAt;
            else beforeOpen.push(outcome);
          }
          const calls = stand.requests.length;
          const open = await sideBySide(textSearch, vectorSearch, measureMs);
          const providerCalls = stand.requests.length - calls;
          stand.otherwise({ kind: 'ok' });
          const restored = performance.now();
          let recovered: number | undefined;
          while (performance.now() - restored < cooldownMs + 10_000) {
            if ((await textSearch()).ok) {
              recovered = performance.now();
              break;
            }
            await sleep(50);
          }
          phases.push({
            mode,
            before_open: summarizeOutcomes(beforeOpen),
            text_search_open: open.text,
            vector_search_open: open.vector,
            provider_calls_while_open: providerCalls,
            recovery_s: recovered === undefined ? null : round((recovered - restored) / 1000, 2),
            circuit_open_s: recovered === undefined || openAt === undefined ? null : round((recovered - openAt) / 1000, 2),
          });
          log(`embedder (${mode}): open-circuit text p99 ${open.text.p99_ms} ms, codes ${JSON.stringify(open.text.codes)}`);
        }
        return {
          settings: { EMBEDDING_CIRCUIT_FAILURES: FAILURES, EMBEDDING_MAX_RETRIES: 0, EMBEDDING_CIRCUIT_COOLDOWN_MS: cooldownMs, EMBEDDING_TIMEOUT_MS: TIMEOUT_MS },
          healthy,
          phases,
          server_alive: server.alive(),
        };
      } finally {
        client.close();
        if (server.alive()) await server.stop('SIGTERM');
      }
    });
  } finally {
    await stand.close();
  }
}

/** Four clients sending text searches and four sending vector searches, for ms. */
async function sideBySide(text: () => Promise<Outcome>, vector: (i: number) => Promise<Outcome>, ms: number) {
  const texts: Outcome[] = [];
  const vectors: Outcome[] = [];
  await runClientLoops(8, after(ms / 1000), async (c, i) => {
    if (c % 2 === 0) texts.push(await text());
    else vectors.push(await vector(c * 1000 + i));
  });
  return { text: summarizeOutcomes(texts), vector: summarizeOutcomes(vectors) };
}

export function describeEmbedder(figures: Awaited<ReturnType<typeof embedderScenario>>): string[] {
  return [
    `embedder: circuit after ${FAILURES} consecutive failures, no retries, cooldown ${figures.settings.EMBEDDING_CIRCUIT_COOLDOWN_MS} ms, timeout ${TIMEOUT_MS} ms`,
    `  ${describeSummary('healthy text search', figures.healthy.text)}`,
    `  ${describeSummary('healthy vector search', figures.healthy.vector)}`,
    ...figures.phases.flatMap((phase) => [
      `  provider ${phase.mode === '503' ? 'answering 503' : 'not answering'}:`,
      `    ${describeSummary('before the circuit opened, text search', phase.before_open)}`,
      `    ${describeSummary('circuit open, text search', phase.text_search_open)}`,
      `    ${describeSummary('circuit open, vector search', phase.vector_search_open)}`,
      `    provider calls while open: ${phase.provider_calls_while_open}; first text search success ${phase.recovery_s} s after the provider recovered, ${phase.circuit_open_s} s after the circuit opened`,
    ]),
  ];
}
