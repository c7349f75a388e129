import { readFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { printPublicSchema, printSubgraphSdl, SCHEMA_FILE, SUBGRAPH_FILE } from '../../src/graphql/print-schema.js';

describe('printed schema (run `npm run schema:print` after an intended API change)', () => {
  it('schema/schema.graphql matches the public API the code builds', async () => {
    expect(printPublicSchema()).toBe(await readFile(SCHEMA_FILE, 'utf8'));
  });

  it('schema/subgraph.graphql matches the SDL a federation gateway composes', async () => {
    expect(printSubgraphSdl()).toBe(await readFile(SUBGRAPH_FILE, 'utf8'));
  });

  it('keeps federation plumbing out of the public schema', async () => {
    const sdl = await readFile(SCHEMA_FILE, 'utf8');
    expect(sdl).not.toMatch(/_entities|_service|@link|@key/);
    expect(await readFile(SUBGRAPH_FILE, 'utf8')).toMatch(/type Document implements Node\s+@key\(fields: "id"\)/);
  });
});
