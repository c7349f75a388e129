import type { Database, Db } from '../db/database.js';
import {
  countVisibleDocuments,
  findProbeTenantPerWorker,
  insertBareDocument,
  readCurrentRole,
  readRowSecurityFlags,
  readWorkerRowSecurity,
} from './row-security.repository.js';
import { APP_ROLE, enterTenantSession } from './tenant-session.repository.js';

// Tenant ids are positive identity values: these name no tenant that can exist.
const PROBE_TENANT = -1;
const OTHER_TENANT = -2;

/**
 * Refuses to serve unless row-level security really holds tenant requests (migration 0010):
 * documents has it enabled and forced, the app role cannot bypass it, and, in a transaction that
 * is rolled back, a tenant session that names no tenant sees no rows and may not write another
 * tenant's. On Citus (migration 0015) the policies are checked on the workers, so the same holds
 * there: every worker is asked about its shards and the role, and refuses a probe's write.
 */
export async function assertRowSecurityEnforced(database: Database): Promise<void> {
  const problems = await findRowSecurityProblems(database);
  if (problems.length > 0) {
    throw new Error(`Row-level security does not hold tenant requests; refusing to serve:\n- ${problems.join('\n- ')}`);
  }
}

export async function findRowSecurityProblems(database: Pick<Database, 'db' | 'distributed'>): Promise<string[]> {
  const { db } = database;
  const flags = await readRowSecurityFlags(db);
  const problems: string[] = [];
  if (!flags.enabled) problems.push('documents does not have row-level security enabled (pg_class.relrowsecurity)');
  if (!flags.forced) problems.push('documents does not force row-level security (pg_class.relforcerowsecurity)');
  if (!flags.role) problems.push(`the role ${APP_ROLE} does not exist (migration 0010 creates it)`);
  if (flags.role?.superuser) problems.push(`the role ${APP_ROLE} is a superuser, which row-level security never holds`);
  if (flags.role?.bypassRls) problems.push(`the role ${APP_ROLE} has BYPASSRLS: alter role ${APP_ROLE} nobypassrls`);
  if (flags.role?.ownsDocuments) problems.push(`the role ${APP_ROLE} owns documents; it must not`);
  if (problems.length > 0) return problems;
  if (!database.distributed) return probeTenantSession(db, OTHER_TENANT);
  for (const { node, problem } of await readWorkerRowSecurity(db)) {
    if (problem) problems.push(`on worker ${node}: ${problem}`);
  }
  if (problems.length > 0) return problems;
  // One probe per worker, each writing for a tenant whose shard that worker holds.
  for (const { node, tenantId } of await findProbeTenantPerWorker(db)) {
    problems.push(...(await probeTenantSession(db, tenantId)).map((problem) => `on worker ${node}: ${problem}`));
  }
  return problems;
}

class ProbeFinished extends Error {
  constructor(readonly problems: string[]) {
    super('row-level security probe finished');
  }
}

async function probeTenantSession(db: Db, otherTenant: number): Promise<string[]> {
  try {
    await db.transaction().execute(async (trx) => {
      const problems: string[] = [];
      await enterTenantSession(trx, PROBE_TENANT);
      const role = await readCurrentRole(trx);
      if (role !== APP_ROLE) problems.push(`a tenant session runs as "${role}", not ${APP_ROLE}`);
      const visible = await countVisibleDocuments(trx);
      if (visible !== 0) problems.push(`a tenant session for a tenant that does not exist sees ${visible} documents`);
      const refusal = await insertBareDocument(trx, otherTenant).then(
        () => undefined,
        (error: unknown) => error as { code?: string; message?: string },
      );
      if (refusal?.code !== '42501' || !/row-level security/.test(refusal.message ?? '')) {
        problems.push(`writing another tenant's row was not refused by row-level security (${refusal?.message ?? 'it was written'})`);
      }
      throw new ProbeFinished(problems);
    });
  } catch (error) {
    if (error instanceof ProbeFinished) return error.problems;
    const reason = error instanceof Error ? error.message : String(error);
    return [`a tenant session (role ${APP_ROLE}) failed: ${reason}`];
  }
  return [];
}
