import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { graphiqlHtml } from '../helpers/graphiql-html.js';
import { type TestApp, errorCode, startTestApp } from '../helpers/test-app.js';

// AUTH_MODE=dev (the default): an admin can still create API keys (for a deployment that will
// switch modes), so a key's answer and its refusal both say what the key needs.
let t: TestApp;
let slug: string;
beforeAll(async () => {
  t = await startTestApp();
  slug = await t.createTenant('devmode');
});
afterAll(async () => {
  expect(t.unexpectedErrors).toEqual([]);
  await t.close();
});

describe('AUTH_MODE=dev explains itself', () => {
  it('a key created in dev mode is refused with a message naming AUTH_MODE=apikey, and its type says so too', async () => {
    const created = await t.admin('mutation($s: String!) { createApiKey(slug: $s, name: "early") { key } }', { s: slug });
    expect(created.errors).toBeUndefined();
    const refused = await t.gql('{ tenant { slug } }', {}, { authorization: `Bearer ${created.data!.createApiKey.key}` });
    expect(errorCode(refused)).toBe('UNAUTHENTICATED');
    expect(refused.errors![0]!.message).toMatch(/x-tenant-id header \(this server runs with AUTH_MODE=dev\)/);
    expect(refused.errors![0]!.message).toMatch(/API keys need the server to run with AUTH_MODE=apikey/);
    const described = await t.gql('{ __type(name: "CreatedApiKey") { description fields { name description } } }');
    expect(described.data!.__type.description).toMatch(/only on a server running with AUTH_MODE=apikey/);
    const key = described.data!.__type.fields.find((field: { name: string }) => field.name === 'key');
    expect(key.description).toMatch(/AUTH_MODE=apikey/);
  });

  it('a request with no credential at all is told the header and the mode', async () => {
    const refused = await t.gql('{ tenant { slug } }');
    expect(refused.errors![0]!.message).toBe("Send the tenant's slug in the x-tenant-id header (this server runs with AUTH_MODE=dev).");
  });

  it('GraphiQL prefills x-tenant-id and its welcome names dev mode', async () => {
    const html = await graphiqlHtml(t);
    expect(html.includes('x-tenant-id'), 'x-tenant-id').toBe(true);
    expect(html.includes('AUTH_MODE=dev'), 'AUTH_MODE=dev').toBe(true);
  });
});
