import type { DocumentInput } from '../documents/document.js';

/**
 * One record of an input file: a document to load, or a line that cannot become one. `raw` is
 * what the file held (the parsed JSON value, the CSV row by column, or the text that would not
 * parse), written to the rejects file as it was so it can be fixed and loaded again.
 */
export type SourceItem =
  | { kind: 'document'; line: number; input: DocumentInput; raw: unknown }
  | { kind: 'invalid'; line: number; error: string; raw: unknown };

type Mapped = { input: DocumentInput } | { error: string };

/**
 * A JSON Lines record as a document: Narwhal's DocumentInput fields (externalId, content,
 * metadata, embedding), or BEIR's corpus shape `{_id, title, text, metadata?}`.
 */
export function documentFromJson(value: unknown): Mapped {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return { error: 'not a JSON object' };
  const record = value as Record<string, unknown>;
  if (record.content === undefined && ('text' in record || 'title' in record)) return documentFromBeir(record);
  if (record.content === undefined || record.content === null) return { error: 'missing "content"' };
  if (typeof record.content !== 'string') return { error: '"content" must be a string' };
  const externalId = idField(record.externalId, 'externalId');
  if (externalId !== null && typeof externalId === 'object') return externalId;
  const embedding = embeddingField(record.embedding);
  if (embedding !== null && 'error' in embedding) return embedding;
  return {
    input: {
      externalId,
      content: record.content,
      metadata: record.metadata ?? null,
      embedding: embedding?.vector ?? null,
    },
  };
}

function documentFromBeir(record: Record<string, unknown>): Mapped {
  const externalId = idField(record._id, '_id');
  if (externalId !== null && typeof externalId === 'object') return externalId;
  const title = record.title ?? '';
  const text = record.text ?? '';
  if (typeof title !== 'string' || typeof text !== 'string') return { error: '"title" and "text" must be strings' };
  const metadata = isObject(record.metadata) ? { ...record.metadata, title } : { title };
  return { input: { externalId, content: `${title}\n${text}`.trim(), metadata } };
}

/** The columns of a CSV header, resolved once for every row that follows. */
export type CsvColumns = {
  names: string[];
  externalId: number | undefined;
  content: number;
  title: number | undefined;
  metadata: number | undefined;
  embedding: number | undefined;
  /** Every other column: copied into metadata under its header name. */
  extra: number[];
};

/** Resolves the header row; throws when it cannot describe documents (a fatal input error). */
export function csvColumns(header: string[]): CsvColumns {
  const names = header.map((name) => name.trim());
  const duplicate = names.find((name, index) => names.indexOf(name) !== index);
  if (duplicate !== undefined) throw new Error(`CSV header names column "${duplicate}" twice`);
  const find = (...candidates: string[]) => {
    for (const candidate of candidates) {
      const index = names.findIndex((name) => name.toLowerCase() === candidate.toLowerCase());
      if (index !== -1) return index;
    }
    return undefined;
  };
  const content = find('content', 'text');
  if (content === undefined) {
    throw new Error(`CSV header has no "content" or "text" column (columns: ${names.join(', ') || 'none'})`);
  }
  const columns = { externalId: find('externalId', 'id', '_id'), content, title: find('title'), metadata: find('metadata'), embedding: find('embedding') };
  const used = new Set(Object.values(columns).filter((index) => index !== undefined));
  return { names, ...columns, extra: names.map((_, index) => index).filter((index) => !used.has(index)) };
}

/** One CSV row (already split into fields) as a document. */
export function documentFromCsv(columns: CsvColumns, fields: string[]): Mapped {
  if (fields.length !== columns.names.length) {
    return { error: `expected ${columns.names.length} fields as in the header, got ${fields.length}` };
  }
  const field = (index: number | undefined) => (index === undefined ? undefined : (fields[index] as string));
  const metadata: Record<string, unknown> = {};
  for (const index of columns.extra) metadata[columns.names[index] as string] = fields[index];
  const title = field(columns.title);
  if (title !== undefined) metadata.title = title;
  const json = field(columns.metadata);
  if (json !== undefined && json.trim() !== '') {
    const parsed = parseJson(json);
    if (!isObject(parsed)) return { error: '"metadata" column must hold a JSON object' };
    Object.assign(metadata, parsed);
  }
  const vector = field(columns.embedding);
  let embedding: number[] | null = null;
  if (vector !== undefined && vector.trim() !== '') {
    const parsed = embeddingField(parseJson(vector));
    if (parsed === null || 'error' in parsed) return { error: '"embedding" column must hold a JSON array of numbers' };
    embedding = parsed.vector;
  }
  const body = field(columns.content) as string;
  const id = field(columns.externalId);
  return {
    input: {
      externalId: id === undefined || id === '' ? null : id,
      content: title === undefined ? body : `${title}\n${body}`.trim(),
      metadata,
      embedding,
    },
  };
}

/** The CSV row as {column: value}, for the rejects file. */
export function csvRowObject(columns: CsvColumns | undefined, fields: string[]): unknown {
  if (!columns) return fields;
  return Object.fromEntries(fields.map((value, index) => [columns.names[index] ?? `column${index + 1}`, value]));
}

function idField(value: unknown, name: string): string | null | { error: string } {
  if (value === undefined || value === null) return null;
  if (typeof value === 'string') return value;
  if (typeof value === 'number' && Number.isFinite(value)) return String(value);
  return { error: `"${name}" must be a string` };
}

function embeddingField(value: unknown): { vector: number[] } | { error: string } | null {
  if (value === undefined || value === null) return null;
  if (!Array.isArray(value) || !value.every((x) => typeof x === 'number')) return { error: '"embedding" must be an array of numbers' };
  return { vector: value as number[] };
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
