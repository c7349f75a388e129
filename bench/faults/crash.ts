import { intFromEnv, runClientLoops, sleep } from '../shared/client-loops.js';
import { type TenantCheck, checkTenant, describeCheck, intact } from './crash-check.js';
import { type PromotionCrash, crashDuringPromotion, describePromotionCrash } from './crash-promotion.js';
import { ADMIN_TOKEN, type Log, createBatchSource, serverEnv, startStandInEmbedder, withTempDir } from './setup.js';
import { type DocumentInput, OPERATIONS, type UpsertData, acknowledges, createTenant, tenantHeaders } from '../shared/narwhal-operations.js';
import { createGraphqlClient } from '../shared/graphql-client.js';
import { round } from '../shared/search-metrics.js';
import { type ServerProcess, startServerProcess } from '../shared/server-process.js';

type CrashRound = {
  round: number;
  slug: string;
  placement: 'SHARED' | 'DEDICATED';
  acknowledged_batches: number;
  /** Batches answered with anything but a full acknowledgement before the kill (goal 0). */
  failed_batches: number;
  /** Batches sent but not answered when the server was killed: either outcome is correct for them. */
  in_flight_at_kill: number;
  restart_s: number | null;
  restart_error?: string;
  /** Every tenant written so far, checked after this restart. */
  checks: TenantCheck[];
};

type Written = { slug: string; acknowledged: DocumentInput[]; inFlight: DocumentInput[] };

/**
 * kill -9 mid-load, restart on the same DATA_DIR, check every acknowledged document. Each round a
 * writer upserts batches of 100 documents with vectors (distinct ids) into a tenant of its own
 * (SHARED, then DEDICATED with its HNSW index, alternately) as fast as it is answered; after
 * FAULTS_CRASH_LOAD_MS the server gets SIGKILL and is started again, and every tenant written so far
 * is checked. A last round kills the server while it promotes a tenant.
 */
export async function crashScenario(log: Log) {
  const rounds = intFromEnv('FAULTS_CRASH_ROUNDS', 3);
  const loadMs = intFromEnv('FAULTS_CRASH_LOAD_MS', 4000);
  const writers = intFromEnv('FAULTS_CRASH_WRITERS', 1);
  const vectorSample = intFromEnv('FAULTS_CRASH_VECTOR_SAMPLE', 300);
  const embedder = await startStandInEmbedder();
  try {
    return await withTempDir('narwhal-faults-crash-', async (dataDir) => {
      // Automatic promotion off: a tenant passing the threshold mid-round would be moved in the
      // background, which the last round does on purpose instead.
      const env = serverEnv(dataDir, { ...embedder.env, PROMOTION_THRESHOLD: '0' });
      let server: ServerProcess = await startServerProcess(env);
      const firstStart = server.startSeconds;
      const written: Written[] = [];
      const results: CrashRound[] = [];
      let promotion: PromotionCrash | undefined;
      try {
        for (let r = 1; r <= rounds; r++) {
          const slug = `crash-${r}`;
          const placement = r % 2 === 0 ? 'DEDICATED' : 'SHARED';
          const client = createGraphqlClient(server.url, { maxSockets: writers + 1, timeoutMs: 30_000 });
          await createTenant(client, ADMIN_TOKEN, slug, placement);
          const sources = Array.from({ length: writers }, (_, w) => createBatchSource(`r${r}w${w}`, 100, r * 10 + w + 1));
          const entry: Written = { slug, acknowledged: [], inFlight: [] };
          written.push(entry);
          const pending = new Map<number, DocumentInput[]>();
          let killed = false;
          let [batches, failed, sequence] = [0, 0, 0];
          const load = runClientLoops(writers, () => killed, async (w) => {
            const docs = sources[w]!();
            const id = sequence++;
            pending.set(id, docs);
            const outcome = await client.send<UpsertData>(OPERATIONS.upsert, { d: docs }, tenantHeaders(slug));
            // An acknowledgement counts even if it arrived as the process died; an error after the
            // kill leaves the batch's fate unknown to the client, so it stays pending.
            if (acknowledges(outcome, docs)) {
              pending.delete(id);
              entry.acknowledged.push(...docs);
              batches += 1;
            } else if (!killed) {
              pending.delete(id);
              failed += 1;
            }
          });
          await sleep(loadMs);
          const inFlightAtKill = pending.size;
          killed = true;
          await server.stop('SIGKILL');
          await load;
          client.close();
          entry.inFlight = [...pending.values()].flat();
          log(`crash round ${r} (${placement}): kill -9 with ${inFlightAtKill} batch(es) in flight, ${batches} acknowledged; restarting`);
          const row: CrashRound = {
            round: r, slug, placement, acknowledged_batches: batches, failed_batches: failed, in_flight_at_kill: inFlightAtKill, restart_s: null, checks: [],
          };
          results.push(row);
          try {
            server = await startServerProcess(env);
          } catch (error) {
            // PGlite not reopening its files after kill -9 is itself the finding: report it whole.
            row.restart_error = error instanceof Error ? error.message.slice(0, 4000) : String(error);
            log(`crash round ${r}: the server did not restart: ${row.restart_error}`);
            break;
          }
          row.restart_s = round(server.startSeconds, 2);
          const check = createGraphqlClient(server.url, { maxSockets: 4, timeoutMs: 30_000 });
          for (const w of written) row.checks.push(await checkTenant(check, w.slug, w.acknowledged, w.inFlight, vectorSample));
          check.close();
          log(`crash round ${r}: restart ${row.restart_s} s; ${row.checks.map(describeCheck).join('; ')}`);
        }
        if (server.alive() && process.env.FAULTS_CRASH_PROMOTION !== '0') {
          ({ promotion, server } = await crashDuringPromotion(server, env, vectorSample, log));
        }
      } finally {
        if (server.alive()) await server.stop('SIGTERM');
      }
      const last = results.at(-1)?.checks ?? [];
      const restarts = results.flatMap((row) => (row.restart_s === null ? [] : [row.restart_s]));
      return {
        rounds: results,
        promotion: promotion ?? null,
        first_start_s: round(firstStart, 2),
        acknowledged_docs: written.reduce((sum, w) => sum + w.acknowledged.length, 0),
        lost: last.reduce((sum, c) => sum + c.missing + c.content_changed + c.vectors_lost_or_altered, 0),
        all_intact: last.length === written.length && last.every(intact) && (promotion?.check ? intact(promotion.check) : true),
        restart_failures: results.filter((row) => row.restart_error).length + (promotion?.restart_error ? 1 : 0),
        max_restart_s: restarts.length ? Math.max(...restarts) : null,
      };
    });
  } finally {
    await embedder.server.close();
  }
}

export function describeCrash(f: Awaited<ReturnType<typeof crashScenario>>): string[] {
  return [
    `crash: ${f.acknowledged_docs} documents acknowledged before kill -9s, lost ${f.lost}, all intact ${f.all_intact}, ` +
      `restart failures ${f.restart_failures}, slowest restart ${f.max_restart_s} s (first start on an empty DATA_DIR ${f.first_start_s} s)`,
    ...f.rounds.flatMap((row) => [
      `  round ${row.round} (${row.slug}, ${row.placement}): ${row.acknowledged_batches} batches of 100 acknowledged, ${row.failed_batches} failed, ` +
        `${row.in_flight_at_kill} in flight at kill -9; ` +
        (row.restart_error ? `RESTART FAILED: ${row.restart_error.split('\n')[0]}` : `restart ${row.restart_s} s`),
      ...row.checks.map((check) => `    ${describeCheck(check)}; in-flight documents present ${check.in_flight_present}`),
    ]),
    ...(f.promotion ? describePromotionCrash(f.promotion) : []),
  ];
}
