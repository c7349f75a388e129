import { isObjectType } from 'graphql';
import { guardArguments } from './argument-guard.js';
import { builder } from './builder.js';
import './types/scalars.js';
import './types/tenant.js';
import './types/tenant-admin.js';
import './types/tenant-archive.js';
import './types/tenant-offload.js';
import './types/tenant-recall.js';
import './types/tenant-expiry.js';
import './types/tenant-usage.js';
import './types/api-key.js';
import './types/document.js';
import './types/search.js';
import './types/entities.js';

builder.queryType({ description: 'Reads, scoped to the tenant named by the request credentials.' });
builder.mutationType({ description: 'Writes, scoped to the tenant named by the request credentials.' });

/**
 * What the server serves: the public API plus what an Apollo Federation v2 gateway needs
 * (`_service`, `_entities`, the @link and @key directives). Clients that do not federate just
 * see two extra root fields.
 */
export const schema = guardArguments(
  builder.toSubGraphSchema({
    linkUrl: 'https://specs.apollo.dev/federation/v2.6',
    federationDirectives: ['@key', '@shareable'],
    sortSchema: false,
  }),
);

/** The root fields' names: what telemetry accepts as operation labels without bounding them. */
export function rootFieldNames(): string[] {
  return [schema.getQueryType(), schema.getMutationType()].flatMap((type) =>
    type && isObjectType(type) ? Object.keys(type.getFields()) : [],
  );
}
