import { builder } from './builder.js';
import './types/scalars.js';
import './types/tenant.js';
import './types/tenant-admin.js';
import './types/document.js';
import './types/search.js';

builder.queryType({ description: 'Reads, scoped to the tenant named by the request credentials.' });
builder.mutationType({ description: 'Writes, scoped to the tenant named by the request credentials.' });

export const schema = builder.toSchema({ sortSchema: false });
