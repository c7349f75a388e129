import {
  DummyDriver,
  Kysely,
  PostgresAdapter,
  PostgresIntrospector,
  PostgresQueryCompiler,
  type RawBuilder,
  sql,
} from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  DOCUMENTS_SHARD_COUNT,
  citusDistributionStatements,
  distributeCitusTables,
  findCitusProblems,
  isCitus,
  transactionLocalSettingStatements,
} from '../../src/db/citus.js';
import { isolateTenantStatement, isolateTenantToOwnShard, tenantShardStatement } from '../../src/db/citus-tenant-isolation.js';
import type { Db } from '../../src/db/database.js';
import type { Tables } from '../../src/db/schema.js';
import { embedText } from '../helpers/hashing-embedder.js';
import { type TestApp, startTestApp } from '../helpers/test-app.js';
import { onCitus, testDatabaseUrl } from '../helpers/test-database.js';

// No Citus server here: Kysely compiles the SQL without a connection, and the tests read it.
const compiler = new Kysely<Tables>({
  dialect: {
    createAdapter: () => new PostgresAdapter(),
    createDriver: () => new DummyDriver(),
    createIntrospector: (db) => new PostgresIntrospector(db),
    createQueryCompiler: () => new PostgresQueryCompiler(),
  },
});

const compile = (statement: RawBuilder<unknown>) => statement.compile(compiler);
const oneLine = (text: string) => text.replace(/\s+/g, ' ').trim();
const step = (name: string) => {
  const found = citusDistributionStatements().find((s) => s.name === name);
  if (!found) throw new Error(`no step ${name}`);
  return compile(found.statement);
};

describe('Citus distribution statements (generated SQL)', () => {
  it('runs in dependency order: flatten, reference tables, documents, then the local cleanup', () => {
    expect(citusDistributionStatements().map((s) => s.name)).toEqual([
      'flatten-shared-partition',
      'tenants',
      'deployment_settings',
      'documents',
      'tenant-usage-daily',
      'truncate-local-copies',
    ]);
  });

  it('are self-contained DO blocks: no parameters, one dollar-quoted body each', () => {
    for (const { name, statement } of citusDistributionStatements()) {
      const { sql: text, parameters } = compile(statement);
      expect(parameters, name).toEqual([]);
      expect(text.startsWith('do $$'), name).toBe(true);
      expect(text.endsWith('$$'), name).toBe(true);
      expect(text.split('$$'), name).toHaveLength(3);
    }
  });

  it('makes tenants and deployment_settings reference tables unless they already are', () => {
    for (const table of ['tenants', 'deployment_settings']) {
      const text = oneLine(step(table).sql);
      expect(text).toContain(
        `if not exists (select 1 from pg_dist_partition where logicalrelid = '${table}'::regclass and partmethod = 'n' and repmodel = 't') then`,
      );
      expect(text).toContain(`perform create_reference_table('${table}');`);
      // Keeps documents a plain table until it is distributed, instead of a Citus local table.
      expect(text.indexOf('set local citus.enable_local_reference_table_foreign_keys = off')).toBeLessThan(
        text.indexOf('create_reference_table'),
      );
    }
  });

  it('hash-distributes documents by tenant_id in a colocation group of its own, unless already distributed', () => {
    const text = oneLine(step('documents').sql);
    expect(text).toContain(
      "if not exists (select 1 from pg_dist_partition where logicalrelid = 'documents'::regclass and partmethod = 'h') then",
    );
    expect(text).toContain(
      `perform create_distributed_table('documents', 'tenant_id', colocate_with => 'none', shard_count => ${DOCUMENTS_SHARD_COUNT});`,
    );
  });

  it('flattens a hash sub-partitioned shared partition only before documents is distributed', () => {
    const text = oneLine(step('flatten-shared-partition').sql);
    const guard = text.indexOf("if exists (select 1 from pg_dist_partition where logicalrelid = 'documents'::regclass) then return;");
    expect(guard).toBeGreaterThan(0);
    expect(text).toContain("to_regclass('documents_shared') and relkind = 'p'");
    expect(text.indexOf('alter table documents detach partition documents_shared;')).toBeGreaterThan(guard);
    // Same bound as before (shard 0), read from the catalog rather than assumed.
    expect(text).toContain("select pg_get_expr(relpartbound, oid) into partition_bound from pg_class where oid = 'documents_shared'::regclass;");
    expect(text).toContain("execute format('create table documents_shared partition of documents %s', partition_bound);");
    expect(text).toContain('drop table documents_shared_hashed;');
  });

  it('truncates local copies only once all three tables are distributed, documents before tenants', () => {
    const text = oneLine(step('truncate-local-copies').sql);
    expect(text).toMatch(/if \(select count\(\*\) from pg_dist_partition .*\) < 3 then return; end if;/);
    const documents = text.indexOf("truncate_local_data_after_distributing_table('documents')");
    const tenants = text.indexOf("truncate_local_data_after_distributing_table('tenants')");
    expect(documents).toBeGreaterThan(0);
    expect(tenants).toBeGreaterThan(documents);
    expect(text).toContain("if pg_relation_size('tenants') > 0 then");
  });
});

describe('tenant isolation statements (generated SQL)', () => {
  it('isolates the tenant across the colocation group, the id and mode as typed parameters', () => {
    const compiled = compile(isolateTenantStatement(42));
    expect(oneLine(compiled.sql)).toBe(
      "select isolate_tenant_to_new_shard('documents', $1::integer, cascade_option => 'CASCADE', " +
        'shard_transfer_mode => $2::citus.shard_transfer_mode)::text as shard_id',
    );
    expect(compiled.parameters).toEqual([42, 'auto']);
    expect(compile(isolateTenantStatement(7, { shardTransferMode: 'block_writes' })).parameters).toEqual([7, 'block_writes']);
  });

  it('looks up the tenant shard and whether its hash range is a single value', () => {
    const compiled = compile(tenantShardStatement(42));
    expect(oneLine(compiled.sql)).toBe(
      'select shardid::text as shard_id, shardminvalue = shardmaxvalue as isolated from pg_dist_shard ' +
        "where shardid = get_shard_id_for_distribution_column('documents', $1::integer)",
    );
    expect(compiled.parameters).toEqual([42]);
  });

  it.each([0, -1, 1.5, Number.NaN, Number.POSITIVE_INFINITY, 2 ** 31, Number.MAX_SAFE_INTEGER + 1])(
    'refuses tenant id %s',
    (bad) => {
      expect(() => isolateTenantStatement(bad)).toThrow(RangeError);
      expect(() => tenantShardStatement(bad)).toThrow(/tenantId must be an integer from 1 to 2147483647/);
    },
  );
});

describe('transaction-local settings (generated SQL)', () => {
  it('turns on SET LOCAL propagation first, then sets each value inline', () => {
    const texts = transactionLocalSettingStatements({ 'hnsw.ef_search': 100, 'hnsw.iterative_scan': 'relaxed_order' }).map(
      (s) => compile(s),
    );
    expect(texts.map((c) => c.sql)).toEqual([
      "set local citus.propagate_set_commands = 'local'",
      'set local hnsw.ef_search = 100',
      "set local hnsw.iterative_scan = 'relaxed_order'",
    ]);
    expect(texts.every((c) => c.parameters.length === 0)).toBe(true);
  });

  it('refuses names and values that are not plain settings', () => {
    expect(() => transactionLocalSettingStatements({ 'ef_search; drop table tenants': 1 })).toThrow(RangeError);
    expect(() => transactionLocalSettingStatements({ 'hnsw.ef_search': "1'; drop table tenants; --" })).toThrow(RangeError);
    expect(() => transactionLocalSettingStatements({ 'hnsw.ef_search': Number.NaN })).toThrow(RangeError);
  });
});

describe.skipIf(onCitus)('on the test engine (plain PostgreSQL, no citus extension)', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp();
  });
  afterAll(async () => {
    await t?.close();
  });

  it('isCitus is false and the problems say why', async () => {
    expect(await isCitus(t.db)).toBe(false);
    expect(await findCitusProblems(t.db)).toEqual([expect.stringMatching(/citus extension is not installed/)]);
  });

  it('distributeCitusTables and isolateTenantToOwnShard refuse a database without Citus', async () => {
    await expect(distributeCitusTables(t.db)).rejects.toThrow(/citus extension is not installed/);
    await expect(isolateTenantToOwnShard(t.db, 1)).rejects.toThrow(/needs a Citus coordinator/);
  });

  it('SET LOCAL settings hold for the transaction only', async () => {
    const inside = await t.db.transaction().execute(async (trx) => {
      for (const statement of transactionLocalSettingStatements({ 'hnsw.ef_search': 123 })) await statement.execute(trx);
      const { rows } = await sql<{ ef: string; propagate: string }>`
        select current_setting('hnsw.ef_search') as ef, current_setting('citus.propagate_set_commands') as propagate`.execute(trx);
      return rows[0];
    });
    expect(inside).toEqual({ ef: '123', propagate: 'local' });
    const { rows } = await sql<{ ef: string | null }>`select current_setting('hnsw.ef_search', true) as ef`.execute(t.db);
    expect(rows[0]?.ef).not.toBe('123');
  });

  // The guards read pg_dist_partition. A temporary table of that name (searched before
  // pg_catalog, visible to this session only) stands in for Citus's catalog so the DO blocks run
  // for real here. Citus's functions do not exist, so a step that calls one fails: that is how
  // these tests see whether a guard let a call through.
  describe('the guards, against a stand-in pg_dist_partition', () => {
    const withCatalog = async (rows: [string, string, string][], fn: (db: Db) => Promise<void>) =>
      t.db.connection().execute(async (db) => {
        await sql`create temporary table pg_dist_partition (logicalrelid regclass, partmethod "char", repmodel "char")`.execute(db);
        try {
          for (const [table, method, model] of rows) {
            await sql`insert into pg_dist_partition values (${table}::regclass, ${method}, ${model})`.execute(db);
          }
          await fn(db);
        } finally {
          await sql`drop table pg_temp.pg_dist_partition`.execute(db);
        }
      });
    const run = (db: Db, name: string) => citusDistributionStatements().find((s) => s.name === name)!.statement.execute(db);

    it('skips every create call once the tables are distributed (re-running is a no-op)', async () => {
      const distributed: [string, string, string][] = [
        ['tenants', 'n', 't'],
        ['deployment_settings', 'n', 't'],
        ['documents', 'h', 's'],
      ];
      await withCatalog(distributed, async (db) => {
        for (const name of ['flatten-shared-partition', 'tenants', 'deployment_settings', 'documents']) {
          await expect(run(db, name), name).resolves.toBeDefined();
        }
      });
    });

    it('still converts a Citus local table (repmodel s) into a reference table', async () => {
      await withCatalog([['tenants', 'n', 's']], async (db) => {
        await expect(run(db, 'tenants')).rejects.toThrow(/create_reference_table/);
      });
    });

    it('distributes tenant_usage_daily once, colocated with documents', async () => {
      await withCatalog([['documents', 'h', 's']], async (db) => {
        await expect(run(db, 'tenant-usage-daily')).rejects.toThrow(/create_distributed_table/);
      });
      await withCatalog([['documents', 'h', 's'], ['tenant_usage_daily', 'h', 's']], async (db) => {
        await expect(run(db, 'tenant-usage-daily')).resolves.toBeDefined();
      });
      expect(oneLine(step('tenant-usage-daily').sql)).toContain(
        "perform create_distributed_table('tenant_usage_daily', 'tenant_id', colocate_with => 'documents');",
      );
    });

    it('distributes documents when it is not hash-distributed yet', async () => {
      await withCatalog([], async (db) => {
        await expect(run(db, 'documents')).rejects.toThrow(/create_distributed_table/);
      });
    });

    it('truncates nothing until all three are distributed, then the local copies that hold rows', async () => {
      await withCatalog([['tenants', 'n', 't'], ['deployment_settings', 'n', 't']], async (db) => {
        await expect(run(db, 'truncate-local-copies')).resolves.toBeDefined();
      });
      // deployment_settings always holds its row locally here, so the cleanup reaches for Citus.
      await withCatalog(
        [['tenants', 'n', 't'], ['deployment_settings', 'n', 't'], ['documents', 'h', 's']],
        async (db) => {
          await expect(run(db, 'truncate-local-copies')).rejects.toThrow(/truncate_local_data_after_distributing_table/);
        },
      );
    });
  });

  // Rewrites the shared partition, so only on the embedded engine this file owns: never on a
  // TEST_DATABASE_URL other test files may be writing to at the same time.
  describe.skipIf(testDatabaseUrl() !== undefined)('flattening the shared partition (embedded engine only)', () => {
    it('folds the hash buckets into one partition for shard 0, keeping every row, and is idempotent', async () => {
      const partitioned = async () => {
        const { rows } = await sql<{ kind: string }>`select relkind::text as kind from pg_class where oid = 'documents_shared'::regclass`.execute(t.db);
        return rows[0]?.kind;
      };
      expect(await partitioned(), 'migration 0006 makes documents_shared hash sub-partitioned on plain PostgreSQL').toBe('p');

      const { rows: tenant } = await sql<{ id: number }>`
        insert into tenants (slug, name) values (${`citus-flat-${Date.now()}`}, 'flatten') returning id`.execute(t.db);
      const tenantId = tenant[0]!.id;
      const vector = `[${embedText('shared pool row').join(',')}]`;
      for (const externalId of ['a', 'b', 'c']) {
        await sql`insert into documents (tenant_id, shard, external_id, content, embedding, embedding_model, content_hash)
          values (${tenantId}, 0, ${externalId}, 'shared pool row', ${vector}, 'test-hashing', 'hash')`.execute(t.db);
      }

      await t.db.connection().execute(async (db) => {
        await sql`create temporary table pg_dist_partition (logicalrelid regclass, partmethod "char", repmodel "char")`.execute(db);
        try {
          const flatten = citusDistributionStatements().find((s) => s.name === 'flatten-shared-partition')!.statement;
          await flatten.execute(db);
          await flatten.execute(db);
        } finally {
          await sql`drop table pg_temp.pg_dist_partition`.execute(db);
        }
      });

      expect(await partitioned()).toBe('r');
      const { rows: bound } = await sql<{ bound: string }>`
        select pg_get_expr(relpartbound, oid) as bound from pg_class where oid = 'documents_shared'::regclass`.execute(t.db);
      expect(bound[0]?.bound).toBe('FOR VALUES IN (0)');
      const { rows: leftovers } = await sql<{ n: number }>`
        select count(*)::int as n from pg_class where relname ~ '^documents_shared_' and relkind in ('r', 'p')`.execute(t.db);
      expect(leftovers[0]?.n).toBe(0);
      const { rows: kept } = await sql<{ external_id: string }>`
        select external_id from documents_shared where tenant_id = ${tenantId} order by external_id`.execute(t.db);
      expect(kept.map((r) => r.external_id)).toEqual(['a', 'b', 'c']);
    });
  });
});

// Needs a Citus coordinator with pgvector and registered workers, e.g. the compose `citus`
// profile: CITUS_TEST_URL=postgres://narwhal:narwhal@localhost:5433/narwhal
describe.skipIf(!onCitus)('against a live Citus coordinator (skipped: CITUS_TEST_URL is not set)', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp();
    // Idempotent: a no-op when startup already distributed the tables.
    await distributeCitusTables(t.db);
  });
  afterAll(async () => {
    await t?.close();
  });

  it('finds Citus and nothing in the way', async () => {
    expect(await isCitus(t.db)).toBe(true);
    expect(await findCitusProblems(t.db)).toEqual([]);
  });

  it('has tenants and deployment_settings as reference tables and documents hash-distributed by tenant_id', async () => {
    const { rows } = await sql<{ table: string; method: string; model: string; column: string | null }>`
      select logicalrelid::text as table, partmethod::text as method, repmodel::text as model,
             column_to_column_name(logicalrelid, partkey) as column
        from pg_dist_partition
       where logicalrelid in ('tenants'::regclass, 'deployment_settings'::regclass, 'documents'::regclass)
       order by 1`.execute(t.db);
    expect(rows).toEqual([
      { table: 'deployment_settings', method: 'n', model: 't', column: null },
      { table: 'documents', method: 'h', model: 's', column: 'tenant_id' },
      { table: 'tenants', method: 'n', model: 't', column: null },
    ]);
    await distributeCitusTables(t.db);
  });

  it('serves a tenant end to end, isolates it idempotently and propagates SET LOCAL to its worker', async () => {
    const slug = await t.createTenant('citus');
    const write = await t.as(slug)('mutation { upsertDocuments(documents: [{ externalId: "one", content: "sharded search works" }]) { documents { id } } }');
    expect(write.errors).toBeUndefined();
    const found = await t.as(slug)('{ search(query: "sharded search", first: 1) { hits { document { externalId } } } }');
    expect(found.data!.search.hits[0].document.externalId).toBe('one');

    const { rows } = await sql<{ id: number }>`select id from tenants where slug = ${slug}`.execute(t.db);
    const tenantId = rows[0]!.id;
    const shard = await isolateTenantToOwnShard(t.db, tenantId, { shardTransferMode: 'block_writes' });
    expect(await isolateTenantToOwnShard(t.db, tenantId)).toBe(shard);

    const onWorker = await t.db.transaction().execute(async (trx) => {
      for (const statement of transactionLocalSettingStatements({ 'hnsw.ef_search': 77 })) await statement.execute(trx);
      // A router query runs whole on the worker, current_setting included.
      const result = await sql<{ ef: string }>`
        select current_setting('hnsw.ef_search') as ef from documents where tenant_id = ${tenantId} limit 1`.execute(trx);
      return result.rows[0]?.ef;
    });
    expect(onWorker).toBe('77');
  });

  // Every statement of a tenant's request runs under citus.multi_task_query_log_level = error
  // (migration 0015): one that Citus would send to more than one shard fails the request. So each
  // operation below answering without error is each of its statements routed to one worker.
  it('routes every tenant operation to one worker (a statement with more than one task would fail it)', async () => {
    const slugs = [await t.createTenant('route-shared'), await t.createTenant('route-dedicated', { placement: 'DEDICATED' })];
    const ids = await sql<{ id: number; slug: string }>`select id, slug from tenants where slug in (${sql.join(slugs)})`.execute(t.db);
    const workers = new Set<string>();
    for (const slug of slugs) {
      const as = t.as(slug);
      const ok = async (query: string, variables: Record<string, unknown> = {}) => {
        const result = await as(query, variables);
        expect(result.errors, query).toBeUndefined();
        return result.data!;
      };
      const written = await ok(
        'mutation($d: [DocumentInput!]!) { upsertDocuments(documents: $d) { documents { id } } }',
        { d: [
          { externalId: 'text', content: 'routing a narwhal search', metadata: { lang: 'en' } },
          { externalId: 'vector', content: 'a vector of its own', embedding: embedText('own vector') },
        ] },
      );
      const id = written.upsertDocuments.documents[0].id;
      for (const mode of ['VECTOR', 'KEYWORD', 'HYBRID']) {
        const found = await ok(`{ search(query: "narwhal search", mode: ${mode}) { hits { document { externalId } } info { keywordRanking } } }`);
        expect(found.search.hits.length).toBeGreaterThan(0);
        // No pg_textsearch on these workers: keyword ranking falls back to ts_rank, and says so.
        if (mode !== 'VECTOR') expect(found.search.info.keywordRanking).toBe('TS_RANK');
      }
      await ok('{ search(query: "narwhal", filter: {lang: "en"}, where: {path: ["lang"], eq: "en"}) { hits { rank } } }');
      await ok('query($v: [Float!]) { search(vector: $v) { hits { rank } } }', { v: embedText('own vector') });
      await ok('query($id: ID!) { document(id: $id) { similar(first: 1) { hits { rank } } } node(id: $id) { id } }', { id });
      await ok('{ documents(first: 1) { edges { node { externalId } } pageInfo { hasNextPage } } tenant { documentCount } }');
      expect((await ok('mutation { deleteDocuments(externalIds: ["vector"]) }')).deleteDocuments).toBe(1);
      const tenant = await t.admin('query($s: String!) { tenantBySlug(slug: $s) { worker indexSizeBytes } }', { s: slug });
      expect(tenant.errors).toBeUndefined();
      workers.add(tenant.data!.tenantBySlug.worker);
    }
    // searchMany alone fans out: one tenant-scoped search per tenant, merged.
    const many = await t.admin('query($s: [String!]!) { searchMany(tenants: $s, query: "narwhal search", first: 4) { tenant { slug } } }', { s: slugs });
    expect(many.errors).toBeUndefined();
    expect(new Set(many.data!.searchMany.map((hit: { tenant: { slug: string } }) => hit.tenant.slug))).toEqual(new Set(slugs));
    expect([...workers].every((worker) => /^127\.0\.0\.1:\d+$/.test(worker))).toBe(true);
    expect(ids.rows).toHaveLength(2);
  });

  it('places an isolated DEDICATED tenant on the worker asked for, and reads its index there', async () => {
    const slug = await t.createTenant('placed', { placement: 'DEDICATED' });
    const write = await t.as(slug)('mutation { upsertDocuments(documents: [{ externalId: "p", content: "placed on a worker" }]) { documents { id } } }');
    expect(write.errors).toBeUndefined();
    const before = await t.admin('query($s: String!) { tenantBySlug(slug: $s) { worker indexSizeBytes } }', { s: slug });
    const workers = (await sql<{ w: string }>`select nodename || ':' || nodeport as w from pg_dist_node where groupid <> 0 order by nodeid`.execute(t.db)).rows.map((r) => r.w);
    const other = workers.find((worker) => worker !== before.data!.tenantBySlug.worker)!;
    expect(before.data!.tenantBySlug.indexSizeBytes).toBeGreaterThan(0);
    const placed = await t.admin('mutation($s: String!, $w: String!) { placeTenant(slug: $s, worker: $w) { worker } }', { s: slug, w: other });
    expect(placed.errors).toBeUndefined();
    expect(placed.data!.placeTenant.worker).toBe(other);
    const found = await t.as(slug)('{ search(query: "placed", first: 1) { hits { document { externalId } } } }');
    expect(found.data!.search.hits[0].document.externalId).toBe('p');
    const refused = await t.admin('mutation($s: String!) { placeTenant(slug: $s, worker: "nowhere:1") { worker } }', { s: slug });
    expect(refused.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
    expect(refused.errors?.[0]?.extensions?.field).toBe('worker');
  });
});
