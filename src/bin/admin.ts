// `npm run admin -- <command> [slug] [options]`: tenant placement, lifecycle and maintenance,
// through a running server's admin GraphQL API (so it works the same on the embedded engine,
// whose data directory only the server may open, and against a production deployment).
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parseArgs } from 'node:util';

const TENANT_FIELDS = 'slug name placement state documentCount indexSizeBytes hnsw { m efConstruction } efSearch';

const COMMANDS: Record<string, { usage: string; query: string; slug: 'required' | 'optional' | 'none' }> = {
  list: { usage: 'list [--state ACTIVE|INACTIVE|DELETED]', slug: 'none', query: `query($state: TenantState) { tenants(state: $state) { ${TENANT_FIELDS} } }` },
  show: { usage: 'show <slug>', slug: 'required', query: `query($slug: String!) { tenantBySlug(slug: $slug) { ${TENANT_FIELDS} indexBuild { phase blocksDone blocksTotal tuplesDone tuplesTotal } } }` },
  promote: { usage: 'promote <slug>', slug: 'required', query: `mutation($slug: String!) { promoteTenant(slug: $slug) { ${TENANT_FIELDS} } }` },
  demote: { usage: 'demote <slug>', slug: 'required', query: `mutation($slug: String!) { demoteTenant(slug: $slug) { ${TENANT_FIELDS} } }` },
  deactivate: { usage: 'deactivate <slug>', slug: 'required', query: `mutation($slug: String!) { deactivateTenant(slug: $slug) { ${TENANT_FIELDS} } }` },
  activate: { usage: 'activate <slug>', slug: 'required', query: `mutation($slug: String!) { activateTenant(slug: $slug) { ${TENANT_FIELDS} } }` },
  vacuum: { usage: 'vacuum [slug]', slug: 'optional', query: 'mutation($slug: String) { vacuumAnalyze(slug: $slug) }' },
  prewarm: { usage: 'prewarm <slug>', slug: 'required', query: 'mutation($slug: String!) { prewarmTenant(slug: $slug) { available blocksLoaded message } }' },
  reembed: {
    usage: 'reembed <slug> [--batch-size 100]   (repeats until every document carries the current model)',
    slug: 'required',
    query: 'mutation($slug: String!, $batchSize: Int) { reembedTenant(slug: $slug, batchSize: $batchSize, limit: 1000) { model reembedded remaining } }',
  },
  'rebuild-index': {
    usage: 'rebuild-index <slug> [--m 16] [--ef-construction 64]',
    slug: 'required',
    query: `mutation($slug: String!, $hnsw: HnswSettingsInput!) { rebuildTenantIndex(slug: $slug, hnsw: $hnsw) { ${TENANT_FIELDS} } }`,
  },
};

const { positionals, values } = parseArgs({
  allowPositionals: true,
  options: { state: { type: 'string' }, m: { type: 'string' }, 'ef-construction': { type: 'string' }, 'batch-size': { type: 'string' } },
});
const [name, slug] = positionals;
const command = name ? COMMANDS[name] : undefined;
if (!command || (command.slug === 'required' && !slug)) {
  const usage = Object.values(COMMANDS).map((c) => `  npm run admin -- ${c.usage}`);
  console.error(`Usage:\n${usage.join('\n')}\n\nTalks to NARWHAL_URL (default http://localhost:4000/graphql) with ADMIN_TOKEN\n(default: the token in DATA_DIR/admin-token).`);
  process.exit(2);
}

const url = process.env.NARWHAL_URL ?? `http://localhost:${process.env.PORT ?? 4000}/graphql`;
const token =
  process.env.ADMIN_TOKEN ?? (await readFile(join(process.env.DATA_DIR ?? './data', 'admin-token'), 'utf8').catch(() => '')).trim();
const variables = {
  ...(slug ? { slug } : {}),
  ...(values.state ? { state: values.state } : {}),
  ...(name === 'rebuild-index'
    ? { hnsw: { m: values.m ? Number(values.m) : null, efConstruction: values['ef-construction'] ? Number(values['ef-construction']) : null } }
    : {}),
  ...(values['batch-size'] ? { batchSize: Number(values['batch-size']) } : {}),
};

type Answer = { data?: Record<string, unknown>; errors?: { message: string; extensions?: { code?: string } }[] };

async function send(): Promise<Answer> {
  const response = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
    body: JSON.stringify({ query: (command as { query: string }).query, variables }),
  }).catch((error: unknown) => {
    console.error(`Cannot reach ${url}: ${error instanceof Error ? error.message : String(error)}. Is the server running?`);
    process.exit(1);
  });
  const body = (await response.json()) as Answer;
  if (body.errors) {
    for (const error of body.errors) console.error(`${error.extensions?.code ?? 'ERROR'}: ${error.message}`);
    process.exit(1);
  }
  return body;
}

// Re-embedding goes a thousand documents per request (each request stays short), until none remain.
if (name === 'reembed') {
  let total = 0;
  for (;;) {
    const progress = (await send()).data?.reembedTenant as { model: string; reembedded: number; remaining: number };
    total += progress.reembedded;
    console.error(`re-embedded ${total} with ${progress.model}, ${progress.remaining} remaining`);
    if (progress.remaining === 0 || progress.reembedded === 0) {
      console.log(JSON.stringify({ model: progress.model, reembedded: total, remaining: progress.remaining }, null, 2));
      process.exit(0);
    }
  }
}
console.log(JSON.stringify((await send()).data, null, 2));
