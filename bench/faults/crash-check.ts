import { type DocumentInput, listAllDocuments, verifyDocuments } from '../shared/narwhal-operations.js';
import type { GraphqlClient } from '../shared/graphql-client.js';

/** What a tenant holds after a restart, against what the client was told was written. */
export type TenantCheck = {
  slug: string;
  acknowledged: number;
  /** Acknowledged documents present with their content unchanged (every one is listed). */
  present: number;
  missing: number;
  content_changed: number;
  /** Documents of batches in flight at the kill that are present: 0 or all of a batch, never part. */
  in_flight_present: number;
  /** Documents present that the client never sent (goal 0). */
  unexpected: number;
  /** Acknowledged documents whose vector was checked by a search with it (a spread sample: it costs a search each). */
  vectors_checked: number;
  vectors_intact: number;
  vectors_lost_or_altered: number;
  check_failures: number;
  examples: string[];
};

/**
 * Lists every document of the tenant (presence and content of each acknowledged one), then checks
 * the stored vectors of an evenly spread sample by searching with each one's own vector.
 */
export async function checkTenant(
  client: GraphqlClient,
  slug: string,
  acknowledged: readonly DocumentInput[],
  inFlight: readonly DocumentInput[],
  vectorSample: number,
): Promise<TenantCheck> {
  const listed = await listAllDocuments(client, slug);
  const missing = acknowledged.filter((doc) => !listed.has(doc.externalId));
  const changed = acknowledged.filter((doc) => listed.has(doc.externalId) && listed.get(doc.externalId) !== doc.content);
  const known = new Set([...acknowledged, ...inFlight].map((doc) => doc.externalId));
  const stride = Math.max(1, Math.ceil(acknowledged.length / vectorSample));
  const sample = acknowledged.filter((_, i) => i % stride === 0);
  const vectors = await verifyDocuments(client, slug, sample);
  return {
    slug,
    acknowledged: acknowledged.length,
    present: acknowledged.length - missing.length - changed.length,
    missing: missing.length,
    content_changed: changed.length,
    in_flight_present: inFlight.filter((doc) => listed.has(doc.externalId)).length,
    unexpected: [...listed.keys()].filter((id) => !known.has(id)).length,
    vectors_checked: vectors.checked,
    vectors_intact: vectors.found,
    vectors_lost_or_altered: vectors.lost.length + vectors.altered.length,
    check_failures: vectors.failedChecks,
    examples: [...missing, ...changed].map((doc) => doc.externalId).concat(vectors.lost, vectors.altered).slice(0, 5),
  };
}

/** Whether a check found every acknowledged document whole. */
export const intact = (check: TenantCheck) =>
  check.missing === 0 && check.content_changed === 0 && check.vectors_lost_or_altered === 0 && check.check_failures === 0 && check.unexpected === 0;

export function describeCheck(check: TenantCheck): string {
  return (
    `${check.slug}: ${check.present}/${check.acknowledged} acknowledged present with their content, missing ${check.missing}, ` +
    `changed ${check.content_changed}, unexpected ${check.unexpected}; vectors ${check.vectors_intact}/${check.vectors_checked} sampled intact` +
    (check.check_failures ? `, ${check.check_failures} checks failed` : '') +
    (check.examples.length ? ` (e.g. ${check.examples.join(', ')})` : '')
  );
}
