import { AppError } from '../../domain-errors.js';
import { DISTANCE_METRICS, type DistanceMetric } from '../../db/vector.js';
import { PLACEMENTS, type Placement } from '../tenant.js';

/**
 * The tenant archive (issue 21): JSON Lines, one header, one line per document, one trailer.
 * Export/import and offload both read and write it, so its shape is checked here once. Vectors
 * travel as base64 of their float32 little-endian bytes: decimal text could round, bytes cannot.
 */
export const ARCHIVE_KIND = 'tenant-archive';
export const ARCHIVE_VERSION = 1;

export type ArchiveTenant = {
  slug: string;
  name: string;
  placement: Placement;
  hnsw: { m: number; efConstruction: number };
  efSearch: number;
};

export type ArchiveHeader = {
  narwhal: typeof ARCHIVE_KIND;
  version: typeof ARCHIVE_VERSION;
  tenant: ArchiveTenant;
  dimensions: number;
  distanceMetric: DistanceMetric;
  /** The deployment's embedding model id when the archive was written. */
  model: string;
  exportedAt: string;
};

export type ArchiveDocument = {
  externalId: string;
  content: string;
  metadata: Record<string, unknown>;
  model: string;
  /** ISO 8601 timestamps, kept as text so no precision is lost on the way through. */
  createdAt: string;
  updatedAt: string;
  /** When the document expires (ISO 8601), or null: never. Optional in the file (version 1 files before it have none). */
  expiresAt?: string | null;
  vector: Float32Array;
};

export type ArchiveTrailer = { end: true; documents: number; sha256: string };

/** A file that is not a whole, valid archive: names the line (1-based) and, when known, the field. */
export class ArchiveError extends AppError {
  constructor(
    readonly line: number,
    message: string,
    field?: string,
  ) {
    super('BAD_USER_INPUT', `line ${line}${field === undefined ? '' : `: ${field}`}: ${message}`, field);
    this.name = 'ArchiveError';
  }
}

export function encodeHeader(header: ArchiveHeader): string {
  return `${JSON.stringify(header)}\n`;
}

export function encodeDocument(document: ArchiveDocument): string {
  const { externalId, content, metadata, model, createdAt, updatedAt } = document;
  // Written only when set: a document that never expires has the same line as before the field existed.
  const expiry = document.expiresAt == null ? {} : { expiresAt: document.expiresAt };
  return `${JSON.stringify({ externalId, content, metadata, model, createdAt, updatedAt, ...expiry, vector: encodeVector(document.vector) })}\n`;
}

export function encodeTrailer(trailer: Omit<ArchiveTrailer, 'end'>): string {
  return `${JSON.stringify({ end: true, documents: trailer.documents, sha256: trailer.sha256 })}\n`;
}

/** float32 little-endian bytes as base64; refuses NaN and infinities, which pgvector refuses too. */
export function encodeVector(vector: Float32Array): string {
  const bytes = Buffer.alloc(vector.length * 4);
  vector.forEach((value, index) => {
    if (!Number.isFinite(value)) throw new RangeError(`vector[${index}] is ${value}: only finite values can be archived`);
    bytes.writeFloatLE(value, index * 4);
  });
  return bytes.toString('base64');
}

const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

export function decodeVector(text: unknown, dimensions: number, line: number): Float32Array {
  if (typeof text !== 'string' || !BASE64.test(text)) throw new ArchiveError(line, 'must be base64 text of float32 bytes', 'vector');
  const bytes = Buffer.from(text, 'base64');
  if (bytes.length !== dimensions * 4) {
    throw new ArchiveError(line, `must hold ${dimensions} float32 values (${dimensions * 4} bytes), got ${bytes.length} bytes`, 'vector');
  }
  const vector = new Float32Array(dimensions);
  for (let index = 0; index < dimensions; index += 1) {
    // Read as raw bits first: the value itself is copied bit for bit, -0 and subnormals included.
    const value = bytes.readFloatLE(index * 4);
    if (!Number.isFinite(value)) throw new ArchiveError(line, `value ${index} is ${value}: only finite values are allowed`, 'vector');
    vector[index] = value;
  }
  return vector;
}

export function parseLine(text: string, line: number): Record<string, unknown> {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new ArchiveError(line, 'is not JSON');
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new ArchiveError(line, 'is not a JSON object');
  return value as Record<string, unknown>;
}

export function isTrailer(record: Record<string, unknown>): boolean {
  return 'end' in record;
}

function onlyKeys(record: Record<string, unknown>, allowed: readonly string[], line: number, prefix = ''): void {
  const extra = Object.keys(record).find((key) => !allowed.includes(key));
  if (extra !== undefined) throw new ArchiveError(line, 'is not part of the archive format', `${prefix}${extra}`);
}

function text(record: Record<string, unknown>, key: string, line: number, prefix = '', nonEmpty = false): string {
  const value = record[key];
  if (typeof value !== 'string' || (nonEmpty && value === '')) {
    throw new ArchiveError(line, `must be ${nonEmpty ? 'a non-empty' : 'a'} string`, `${prefix}${key}`);
  }
  return value;
}

function integer(record: Record<string, unknown>, key: string, line: number, min: number, prefix = ''): number {
  const value = record[key];
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min) {
    throw new ArchiveError(line, `must be an integer of at least ${min}`, `${prefix}${key}`);
  }
  return value;
}

function timestamp(record: Record<string, unknown>, key: string, line: number): string {
  const value = text(record, key, line);
  if (Number.isNaN(Date.parse(value))) throw new ArchiveError(line, 'must be an ISO 8601 timestamp', key);
  return value;
}

function object(value: unknown, field: string, line: number): Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new ArchiveError(line, 'must be a JSON object', field);
  return value as Record<string, unknown>;
}

/** Line 1. Anything that is not our header is a foreign file, refused before any other check. */
export function decodeHeader(record: Record<string, unknown>, line = 1): ArchiveHeader {
  if (record.narwhal !== ARCHIVE_KIND) throw new ArchiveError(line, `not a Narwhal tenant archive (no "narwhal":"${ARCHIVE_KIND}" header)`);
  if (record.version !== ARCHIVE_VERSION) throw new ArchiveError(line, `version ${String(record.version)} is not supported (this server reads ${ARCHIVE_VERSION})`, 'version');
  onlyKeys(record, ['narwhal', 'version', 'tenant', 'dimensions', 'distanceMetric', 'model', 'exportedAt'], line);
  const tenant = object(record.tenant, 'tenant', line);
  onlyKeys(tenant, ['slug', 'name', 'placement', 'hnsw', 'efSearch'], line, 'tenant.');
  const placement = tenant.placement;
  if (!PLACEMENTS.includes(placement as Placement)) throw new ArchiveError(line, `must be one of ${PLACEMENTS.join(', ')}`, 'tenant.placement');
  const hnsw = object(tenant.hnsw, 'tenant.hnsw', line);
  onlyKeys(hnsw, ['m', 'efConstruction'], line, 'tenant.hnsw.');
  const distanceMetric = record.distanceMetric;
  if (!DISTANCE_METRICS.includes(distanceMetric as DistanceMetric)) {
    throw new ArchiveError(line, `must be one of ${DISTANCE_METRICS.join(', ')}`, 'distanceMetric');
  }
  return {
    narwhal: ARCHIVE_KIND,
    version: ARCHIVE_VERSION,
    tenant: {
      slug: text(tenant, 'slug', line, 'tenant.', true),
      name: text(tenant, 'name', line, 'tenant.'),
      placement: placement as Placement,
      hnsw: { m: integer(hnsw, 'm', line, 1, 'tenant.hnsw.'), efConstruction: integer(hnsw, 'efConstruction', line, 1, 'tenant.hnsw.') },
      efSearch: integer(tenant, 'efSearch', line, 1, 'tenant.'),
    },
    dimensions: integer(record, 'dimensions', line, 1),
    distanceMetric: distanceMetric as DistanceMetric,
    model: text(record, 'model', line),
    exportedAt: timestamp(record, 'exportedAt', line),
  };
}

export function decodeDocument(record: Record<string, unknown>, dimensions: number, line: number): ArchiveDocument {
  onlyKeys(record, ['externalId', 'content', 'metadata', 'model', 'createdAt', 'updatedAt', 'expiresAt', 'vector'], line);
  return {
    externalId: text(record, 'externalId', line, '', true),
    content: text(record, 'content', line),
    metadata: object(record.metadata, 'metadata', line),
    model: text(record, 'model', line),
    createdAt: timestamp(record, 'createdAt', line),
    updatedAt: timestamp(record, 'updatedAt', line),
    expiresAt: record.expiresAt == null ? null : timestamp(record, 'expiresAt', line),
    vector: decodeVector(record.vector, dimensions, line),
  };
}

export function decodeTrailer(record: Record<string, unknown>, line: number): ArchiveTrailer {
  if (record.end !== true) throw new ArchiveError(line, 'must be true', 'end');
  onlyKeys(record, ['end', 'documents', 'sha256'], line);
  const sha256 = text(record, 'sha256', line);
  if (!/^[0-9a-f]{64}$/.test(sha256)) throw new ArchiveError(line, 'must be 64 lowercase hex digits', 'sha256');
  return { end: true, documents: integer(record, 'documents', line, 0), sha256 };
}
