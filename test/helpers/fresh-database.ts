import pg from 'pg';
import { onCitus, testDatabaseUrl } from './test-database.js';

/**
 * A database of its own, for a test whose deployment settings (dimensions, VECTOR_STORAGE) differ
 * from the suite's: those are fixed when a database is created. Embedded: undefined, since every
 * test app already gets a fresh in-memory database. External: `<suite database>_<suffix>`, dropped
 * and created anew on the same server; on Citus on the coordinator and every worker, with the
 * workers registered as they are for the suite's database.
 */
export async function freshDatabaseUrl(suffix: string): Promise<string | undefined> {
  const base = testDatabaseUrl();
  if (!base) return undefined;
  const name = `${new URL(base).pathname.slice(1)}_${suffix}`;
  if (!/^[a-z0-9_]{1,63}$/.test(name)) throw new Error(`not a database name: ${name}`);
  const workers = onCitus ? await query<{ nodename: string; nodeport: number }>(base, 'select nodename, nodeport from pg_dist_node where groupid > 0 order by nodeid') : [];
  const hosts = [...workers.map((w) => withHost(base, w.nodename, w.nodeport)), base];
  for (const server of hosts) {
    await query(withDatabase(server, 'postgres'), `drop database if exists ${name} with (force)`);
    await query(withDatabase(server, 'postgres'), `create database ${name}`);
    if (onCitus) await query(withDatabase(server, name), 'create extension citus');
  }
  const url = withDatabase(base, name);
  if (onCitus) {
    const coordinator = new URL(base);
    await query(url, `select citus_set_coordinator_host('${coordinator.hostname}', ${Number(coordinator.port || 5432)})`);
    for (const worker of workers) await query(url, `select citus_add_node('${worker.nodename}', ${worker.nodeport})`);
  }
  return url;
}

/** Drops a database freshDatabaseUrl made (on Citus, the coordinator's: workers keep theirs until the next run). */
export async function dropFreshDatabase(url: string | undefined): Promise<void> {
  if (!url) return;
  await query(withDatabase(url, 'postgres'), `drop database if exists ${new URL(url).pathname.slice(1)} with (force)`);
}

async function query<T>(url: string, text: string): Promise<T[]> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return (await client.query(text)).rows as T[];
  } finally {
    await client.end();
  }
}

function withDatabase(url: string, name: string): string {
  const next = new URL(url);
  next.pathname = `/${name}`;
  return next.toString();
}

function withHost(url: string, host: string, port: number): string {
  const next = new URL(url);
  next.hostname = host;
  next.port = String(port);
  return next.toString();
}
