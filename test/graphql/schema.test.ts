import { readFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { printPublicSchema, SCHEMA_FILE } from '../../src/graphql/print-schema.js';

describe('printed schema', () => {
  it('matches schema/schema.graphql (run `npm run schema:print` after an intended API change)', async () => {
    expect(printPublicSchema()).toBe(await readFile(SCHEMA_FILE, 'utf8'));
  });
});
