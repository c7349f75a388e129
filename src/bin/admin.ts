// `npm run admin -- <command> [slug] [options]`: tenant placement, lifecycle and maintenance,
// through a running server's admin GraphQL API (so it works the same on the embedded engine,
// whose data directory only the server may open, and against a production deployment).
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { REEMBED_LIMITS } from '../documents/reembed.service.js';
import { HNSW_LIMITS } from '../tenants/tenant.js';
import { ARCHIVE_USAGE, runArchiveCommand } from '../ingest/archive-commands.js';

const TENANT_FIELDS = 'slug name placement state documentCount indexSizeBytes hnsw { m efConstruction } efSearch worker';

// show only: the usage totals of the last 30 days (Tenant.usage) and the document TTL.
const SHOW_USAGE_FIELDS = 'documentTtlSeconds usage { documents tableBytes indexBytes searches writes embeddingTokens }';

type Option = 'state' | 'm' | 'ef-construction' | 'batch-size' | 'worker';
type Command = {
  usage: string;
  query: string;
  slug: 'required' | 'optional' | 'none';
  options?: Option[];
  result: string;
  /** A second positional argument after the slug, sent as this variable (clone's new slug). */
  second?: 'to';
};

const COMMANDS: Record<string, Command> = {
  list: {
    usage: 'list [--state ACTIVE|INACTIVE|DELETED|OFFLOADED]',
    slug: 'none',
    options: ['state'],
    result: 'tenants',
    query: `query($state: TenantState) { tenants(state: $state) { ${TENANT_FIELDS} } }`,
  },
  show: {
    usage: 'show <slug>',
    slug: 'required',
    result: 'tenantBySlug',
    query: `query($slug: String!) { tenantBySlug(slug: $slug) { ${TENANT_FIELDS} indexBuild { phase blocksDone blocksTotal tuplesDone tuplesTotal } ${SHOW_USAGE_FIELDS} } }`,
  },
  promote: { usage: 'promote <slug>', slug: 'required', result: 'promoteTenant', query: `mutation($slug: String!) { promoteTenant(slug: $slug) { ${TENANT_FIELDS} } }` },
  demote: { usage: 'demote <slug>', slug: 'required', result: 'demoteTenant', query: `mutation($slug: String!) { demoteTenant(slug: $slug) { ${TENANT_FIELDS} } }` },
  deactivate: { usage: 'deactivate <slug>', slug: 'required', result: 'deactivateTenant', query: `mutation($slug: String!) { deactivateTenant(slug: $slug) { ${TENANT_FIELDS} } }` },
  activate: { usage: 'activate <slug>', slug: 'required', result: 'activateTenant', query: `mutation($slug: String!) { activateTenant(slug: $slug) { ${TENANT_FIELDS} } }` },
  place: {
    usage: 'place <slug> --worker <host:port>   (Citus: move a DEDICATED tenant\'s own shard to that worker)',
    slug: 'required',
    options: ['worker'],
    result: 'placeTenant',
    query: `mutation($slug: String!, $worker: String!) { placeTenant(slug: $slug, worker: $worker) { ${TENANT_FIELDS} } }`,
  },
  offload: {
    usage: 'offload <slug>   (documents to an archive in the server\'s OFFLOAD_DIR; activate restores them)',
    slug: 'required',
    result: 'offloadTenant',
    query: `mutation($slug: String!) { offloadTenant(slug: $slug) { ${TENANT_FIELDS} } }`,
  },
  clone: {
    usage: 'clone <from-slug> <to-slug>   (documents, settings and index under a new slug)',
    slug: 'required',
    second: 'to',
    result: 'cloneTenant',
    query: `mutation($slug: String!, $to: String!) { cloneTenant(from: $slug, to: $to) { ${TENANT_FIELDS} } }`,
  },
  vacuum: { usage: 'vacuum [slug]', slug: 'optional', result: 'vacuumAnalyze', query: 'mutation($slug: String) { vacuumAnalyze(slug: $slug) }' },
  prewarm: { usage: 'prewarm <slug>', slug: 'required', result: 'prewarmTenant', query: 'mutation($slug: String!) { prewarmTenant(slug: $slug) { available blocksLoaded message } }' },
  reembed: {
    usage: `reembed <slug> [--batch-size ${REEMBED_LIMITS.batchSize.default}]   (repeats until every document carries the current model)`,
    slug: 'required',
    options: ['batch-size'],
    result: 'reembedTenant',
    query: 'mutation($slug: String!, $batchSize: Int) { reembedTenant(slug: $slug, batchSize: $batchSize, limit: 1000) { model reembedded remaining } }',
  },
  'rebuild-index': {
    usage: `rebuild-index <slug> [--m ${HNSW_LIMITS.m.default}] [--ef-construction ${HNSW_LIMITS.efConstruction.default}]`,
    slug: 'required',
    options: ['m', 'ef-construction'],
    result: 'rebuildTenantIndex',
    query: `mutation($slug: String!, $hnsw: HnswSettingsInput!) { rebuildTenantIndex(slug: $slug, hnsw: $hnsw) { ${TENANT_FIELDS} } }`,
  },
};

const USAGE = `Usage:
${Object.values(COMMANDS)
  .map((c) => `  npm run admin -- ${c.usage}`)
  .join('\n')}
${ARCHIVE_USAGE.map((usage) => `  npm run admin -- ${usage}`).join('\n')}
  npm run admin -- --help

Talks to NARWHAL_URL (default http://localhost:4000/graphql) with ADMIN_TOKEN
(default: the token in DATA_DIR/admin-token).`;

/** A mistake in the command line: the reason, the usage, exit 2. */
function refuse(reason: string): never {
  console.error(`${reason}\n\n${USAGE}`);
  process.exit(2);
}

function parseCommandLine() {
  try {
    return parseArgs({
      allowPositionals: true,
      options: {
        help: { type: 'boolean', short: 'h' },
        state: { type: 'string' },
        m: { type: 'string' },
        'ef-construction': { type: 'string' },
        'batch-size': { type: 'string' },
        worker: { type: 'string' },
        'into-existing': { type: 'boolean' },
        rejects: { type: 'string' },
      },
    });
  } catch (error) {
    // node:util's message names the option ("Unknown option '--x'"); its stack helps no one.
    return refuse(error instanceof Error ? error.message : String(error));
  }
}

function integerOption(option: Option, raw: string | undefined): number | null {
  if (raw === undefined) return null;
  if (!/^-?\d+$/.test(raw)) refuse(`--${option} must be an integer, got "${raw}"`);
  return Number(raw);
}

function url(): string {
  return process.env.NARWHAL_URL ?? `http://localhost:${process.env.PORT ?? 4000}/graphql`;
}

async function adminToken(): Promise<string> {
  return process.env.ADMIN_TOKEN ?? (await readFile(join(process.env.DATA_DIR ?? './data', 'admin-token'), 'utf8').catch(() => '')).trim();
}

const { positionals, values } = parseCommandLine();
if (values.help || positionals[0] === 'help') {
  console.log(USAGE);
  process.exit(0);
}
const [name, slug, ...rest] = positionals;
if (!name) refuse('No command given.');
if (name === 'export' || name === 'import') {
  const [file, ...more] = rest;
  if (!slug || !file) refuse(`${name} needs a tenant slug and a file.`);
  if (more.length > 0) refuse(`Unexpected argument "${more[0]}".`);
  if (name === 'export' && (values['into-existing'] || values.rejects || values['batch-size'])) refuse('export takes no options.');
  const batchSize = integerOption('batch-size', values['batch-size']) ?? 256;
  if (batchSize < 1) refuse('--batch-size must be at least 1.');
  const args = { url: url(), adminToken: await adminToken(), slug, file, intoExisting: values['into-existing'] === true, batchSize, rejects: values.rejects };
  process.exit(await runArchiveCommand(name, args));
}
if (values['into-existing'] || values.rejects) refuse(`--into-existing and --rejects apply to import only.`);
const command = Object.hasOwn(COMMANDS, name) ? (COMMANDS[name] as Command) : refuse(`Unknown command "${name}".`);
if (command.slug === 'required' && !slug) refuse(`${name} needs a tenant slug.`);
if (command.slug === 'none' && slug !== undefined) refuse(`${name} takes no slug, got "${slug}".`);
const second = command.second ? rest[0] : undefined;
if (command.second && second === undefined) refuse(`${name} needs a second slug (${command.usage}).`);
const extra = command.second ? rest.slice(1) : rest;
if (extra.length > 0) refuse(`Unexpected argument "${extra[0]}".`);
if (name === 'place' && !values.worker) refuse('place needs --worker <host:port> (see Tenant.worker in show).');
for (const option of ['state', 'm', 'ef-construction', 'batch-size', 'worker'] as const) {
  if (values[option] !== undefined && !command.options?.includes(option)) refuse(`--${option} does not apply to ${name}.`);
}

const token = await adminToken();
const variables = {
  ...(slug ? { slug } : {}),
  ...(command.second && second !== undefined ? { [command.second]: second } : {}),
  ...(values.state ? { state: values.state } : {}),
  ...(values.worker ? { worker: values.worker } : {}),
  ...(name === 'rebuild-index'
    ? { hnsw: { m: integerOption('m', values.m), efConstruction: integerOption('ef-construction', values['ef-construction']) } }
    : {}),
  ...(values['batch-size'] !== undefined ? { batchSize: integerOption('batch-size', values['batch-size']) } : {}),
};

type Answer = { data?: Record<string, unknown>; errors?: { message: string; extensions?: { code?: string } }[] };

async function send(): Promise<Answer> {
  const response = await fetch(url(), {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
    body: JSON.stringify({ query: command.query, variables }),
  }).catch((error: unknown) => {
    console.error(`Cannot reach ${url()}: ${error instanceof Error ? error.message : String(error)}. Is the server running?`);
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
const { data } = await send();
// A lookup that finds nothing is a failure of the command, not an answer to print.
if (data?.[command.result] === null) {
  console.error(`TENANT_NOT_FOUND: no tenant has the slug "${slug}"`);
  process.exit(1);
}
console.log(JSON.stringify(data, null, 2));
