import { performance } from 'node:perf_hooks';
import { embeddingFor } from '../../test/helpers/openai-embeddings-server.js';
import { intFromEnv, runClientLoops, sleep } from '../shared/client-loops.js';
import { ADMIN_TOKEN, DIMENSIONS, type Log, createBatchSource, serverEnv, startStandInEmbedder, withTempDir } from './setup.js';
import { type DocumentInput, OPERATIONS, type UpsertData, acknowledges, createTenant, preload, tenantHeaders, verifyDocuments } from '../shared/narwhal-operations.js';
import { type Outcome, createGraphqlClient } from '../shared/graphql-client.js';
import { type OutcomeSummary, describeSummary, summarizeOutcomes } from '../shared/outcome-tally.js';
import { round } from '../shared/search-metrics.js';
import { startServerProcess } from '../shared/server-process.js';

const MODEL_DELAY_MS = 300;

/**
 * SIGTERM under load. Half the clients upsert one document by text (the stand-in model answers
 * after 300 ms, so writes are in flight at the signal), half send vector searches. Counted at the
 * signal: requests sent and not yet answered, and what became of each; after it, requests that
 * were served, refused (the listener is closed: expected) or reset. Then the server is started again
 * on the same data and every acknowledged write is looked for.
 */
export async function shutdownScenario(log: Log) {
  const clients = intFromEnv('FAULTS_SHUTDOWN_CLIENTS', 8);
  const embedder = await startStandInEmbedder();
  embedder.server.otherwise({ kind: 'ok', delayMs: MODEL_DELAY_MS });
  try {
    return await withTempDir('narwhal-faults-shutdown-', async (dataDir) => {
      const env = serverEnv(dataDir, embedder.env);
      const server = await startServerProcess(env);
      const client = createGraphqlClient(server.url, { maxSockets: clients + 1, timeoutMs: 60_000 });
      const queries = createBatchSource('q', 200, 11)();
      await createTenant(client, ADMIN_TOKEN, 'shutdown');
      await preload(client, 'shutdown', createBatchSource('pre', 500, 12)());
      const outcomes: { op: 'upsert_text' | 'vector_search'; outcome: Outcome }[] = [];
      const acknowledged: DocumentInput[] = [];
      let signalAt = Infinity;
      const refusals = new Array<number>(clients).fill(0);
      const load = runClientLoops(
        clients,
        () => performance.now() > signalAt + 3000,
        async (c, i) => {
          if (refusals[c]! >= 2) return sleep(20); // This client has seen the listener gone.
          let outcome: Outcome;
          if (c % 2 === 0) {
            const key = `c${c}-${i}`;
            const doc = { externalId: key, content: `shutdown write ${key}`, metadata: { key } };
            outcome = await client.send<UpsertData>(OPERATIONS.upsert, { d: [doc] }, tenantHeaders('shutdown'));
            outcomes.push({ op: 'upsert_text', outcome });
            // The stand-in's vector for this text: what the server must have stored.
            if (acknowledges(outcome as Outcome<UpsertData>, [doc])) acknowledged.push({ ...doc, embedding: embeddingFor(doc.content, DIMENSIONS) });
          } else {
            outcome = await client.send(OPERATIONS.vectorSearch, { v: queries[(c * 17 + i) % queries.length]!.embedding }, tenantHeaders('shutdown'));
            outcomes.push({ op: 'vector_search', outcome });
          }
          if (outcome.networkError === 'ECONNREFUSED') refusals[c]! += 1;
        },
      );
      await sleep(3000);
      signalAt = performance.now();
      const stopped = await server.stop('SIGTERM');
      log(`shutdown: exit ${stopped.code} ${stopped.signal ?? ''} ${stopped.seconds.toFixed(2)} s after SIGTERM`);
      await load;
      client.close();

      const all = outcomes.map((entry) => entry.outcome);
      const inFlight = all.filter((o) => o.startedAt < signalAt && o.endedAt > signalAt);
      const sentAfter = all.filter((o) => o.startedAt >= signalAt);
      const byKind = (list: Outcome[]) => ({
        ok: list.filter((o) => o.ok).length,
        refused: list.filter((o) => o.networkError === 'ECONNREFUSED').length,
        reset: list.filter((o) => o.networkError && o.networkError !== 'ECONNREFUSED').length,
        other: list.filter((o) => !o.ok && !o.networkError).length,
      });
      const restarted = await startServerProcess(env);
      const check = createGraphqlClient(restarted.url, { maxSockets: 4, timeoutMs: 60_000 });
      const verified = await verifyDocuments(check, 'shutdown', acknowledged);
      check.close();
      await restarted.stop('SIGTERM');
      return {
        clients,
        model_delay_ms: MODEL_DELAY_MS,
        requests_before_signal: all.filter((o) => o.endedAt <= signalAt).length,
        in_flight_at_signal: { count: inFlight.length, ...byKind(inFlight), summary: summarizeOutcomes(inFlight) as OutcomeSummary },
        sent_after_signal: { count: sentAfter.length, ...byKind(sentAfter), codes: summarizeOutcomes(sentAfter).codes },
        exit_code: stopped.code,
        exit_signal: stopped.signal,
        exit_s: round(stopped.seconds, 2),
        restart_after_clean_exit_s: round(restarted.startSeconds, 2),
        acknowledged_writes: acknowledged.length,
        lost_after_restart: verified.lost.length + verified.altered.length,
        failed_checks: verified.failedChecks,
      };
    });
  } finally {
    await embedder.server.close();
  }
}

export function describeShutdown(f: Awaited<ReturnType<typeof shutdownScenario>>): string[] {
  const i = f.in_flight_at_signal;
  const a = f.sent_after_signal;
  return [
    `shutdown: ${f.clients} clients (text upserts through a ${f.model_delay_ms} ms model, vector searches); SIGTERM -> exit ${f.exit_code}${f.exit_signal ? ` (${f.exit_signal})` : ''} in ${f.exit_s} s`,
    `  in flight at the signal: ${i.count}; answered 200 in full ${i.ok}, reset/lost ${i.reset}, other failures ${i.other}`,
    `  ${describeSummary('in flight at the signal', i.summary)}`,
    `  sent after the signal: ${a.count}; served ${a.ok}, refused (listener closed, expected) ${a.refused}, reset ${a.reset}, other ${a.other} ${JSON.stringify(a.codes)}`,
    `  acknowledged writes ${f.acknowledged_writes}, missing after a restart on the same data ${f.lost_after_restart} (check failures ${f.failed_checks}); restart took ${f.restart_after_clean_exit_s} s`,
  ];
}
