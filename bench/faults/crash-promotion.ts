import { performance } from 'node:perf_hooks';
import { intFromEnv, sleep } from '../shared/client-loops.js';
import { type TenantCheck, checkTenant, describeCheck } from './crash-check.js';
import { ADMIN_TOKEN, type Log, createBatchSource } from './setup.js';
import { OPERATIONS, createTenant, preload, tenantHeaders } from '../shared/narwhal-operations.js';
import { createGraphqlClient } from '../shared/graphql-client.js';
import { round } from '../shared/search-metrics.js';
import { type ServerProcess, startServerProcess } from '../shared/server-process.js';

export type PromotionCrash = {
  docs: number;
  kill_after_ms: number;
  /** Whether promoteTenant had answered when the server was killed (then the kill hit after it). */
  promote_answered_before_kill: boolean;
  promote_outcome: string;
  restart_s: number | null;
  restart_error?: string;
  /** SHARED (the move rolled back) or DEDICATED (it committed); anything half-way is a bug. */
  placement_after_restart: string | null;
  state_after_restart: string | null;
  check: TenantCheck | null;
  /** A second promoteTenant after the restart: must succeed when the first one rolled back. */
  promote_again: { ok: boolean; codes: string[]; message?: string; seconds: number } | null;
  vector_search_after: boolean;
};

const SLUG = 'crash-promote';

/**
 * kill -9 while a tenant is being promoted (its rows copied into a partition of its own and an
 * HNSW index built, in one transaction), then a restart: the tenant must be whole, in one
 * placement or the other, and promotable again.
 */
export async function crashDuringPromotion(server: ServerProcess, env: Record<string, string>, vectorSample: number, log: Log) {
  const docs = intFromEnv('FAULTS_CRASH_PROMOTION_DOCS', 3000);
  const killAfterMs = intFromEnv('FAULTS_CRASH_PROMOTION_KILL_MS', 1000);
  const admin = { authorization: `Bearer ${ADMIN_TOKEN}` };
  const client = createGraphqlClient(server.url, { maxSockets: 2, timeoutMs: 600_000 });
  await createTenant(client, ADMIN_TOKEN, SLUG);
  const corpus = createBatchSource('promote', docs, 77)();
  await preload(client, SLUG, corpus);
  let answered = false;
  const promoting = client.send<{ promoteTenant: { placement: string } }>(OPERATIONS.promoteTenant, { slug: SLUG }, admin);
  void promoting.then(() => (answered = true));
  await sleep(killAfterMs);
  const answeredBeforeKill = answered;
  await server.stop('SIGKILL');
  const first = await promoting;
  client.close();
  const result: PromotionCrash = {
    docs,
    kill_after_ms: killAfterMs,
    promote_answered_before_kill: answeredBeforeKill,
    promote_outcome: first.ok ? `ok (${first.data?.promoteTenant.placement})` : first.codes.join(','),
    restart_s: null,
    placement_after_restart: null,
    state_after_restart: null,
    check: null,
    promote_again: null,
    vector_search_after: false,
  };
  log(`crash during promotion: kill -9 ${killAfterMs} ms into promoteTenant (answered before: ${answeredBeforeKill}); restarting`);
  let restarted: ServerProcess;
  try {
    restarted = await startServerProcess(env);
  } catch (error) {
    result.restart_error = error instanceof Error ? error.message.slice(0, 4000) : String(error);
    return { promotion: result, server };
  }
  result.restart_s = round(restarted.startSeconds, 2);
  const check = createGraphqlClient(restarted.url, { maxSockets: 4, timeoutMs: 600_000 });
  const state = await check.send<{ tenant: { placement: string; state: string } }>(OPERATIONS.tenantState, {}, tenantHeaders(SLUG));
  result.placement_after_restart = state.data?.tenant.placement ?? `error ${state.codes.join(',')}`;
  result.state_after_restart = state.data?.tenant.state ?? null;
  result.check = await checkTenant(check, SLUG, corpus, [], vectorSample);
  if (result.placement_after_restart === 'SHARED') {
    const started = performance.now();
    const again = await check.send(OPERATIONS.promoteTenant, { slug: SLUG }, admin);
    result.promote_again = { ok: again.ok, codes: again.codes, ...(again.message ? { message: again.message } : {}), seconds: round((performance.now() - started) / 1000, 2) };
  }
  const search = await check.send(OPERATIONS.vectorSearch, { v: corpus[0]!.embedding }, tenantHeaders(SLUG));
  result.vector_search_after = search.ok;
  check.close();
  log(`crash during promotion: ${result.placement_after_restart} after restart; ${describeCheck(result.check)}`);
  return { promotion: result, server: restarted };
}

export function describePromotionCrash(p: PromotionCrash): string[] {
  return [
    `  during promotion: ${p.docs} documents, kill -9 ${p.kill_after_ms} ms into promoteTenant (it had ${p.promote_answered_before_kill ? '' : 'not '}answered; client saw ${p.promote_outcome}); ` +
      (p.restart_error ? `RESTART FAILED: ${p.restart_error.split('\n')[0]}` : `restart ${p.restart_s} s, tenant ${p.placement_after_restart} ${p.state_after_restart}`),
    ...(p.check ? [`    ${describeCheck(p.check)}`] : []),
    ...(p.promote_again
      ? [`    promoteTenant again: ${p.promote_again.ok ? 'ok' : `FAILED ${p.promote_again.codes.join(',')} ${p.promote_again.message ?? ''}`} in ${p.promote_again.seconds} s`]
      : []),
    `    vector search afterwards ${p.vector_search_after ? 'ok' : 'FAILED'}`,
  ];
}
