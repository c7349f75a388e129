import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { extname } from 'node:path';
import { createCsvParser } from './csv-parser.js';
import { type CsvColumns, csvColumns, csvRowObject, documentFromCsv, documentFromJson, type SourceItem } from './document-records.js';

export const SOURCE_FORMATS = ['jsonl', 'csv'] as const;
export type SourceFormat = (typeof SOURCE_FORMATS)[number];

/**
 * A file being read as documents. Its position (bytes and records handed out so far) gives the
 * fraction done and the likely number of records in the file, without a first pass over it.
 */
export type DocumentSource = {
  path: string;
  format: SourceFormat;
  totalBytes: number;
  /** Bytes of the records handed out so far, and how many records that was. */
  position(): { bytes: number; items: number };
  items: AsyncIterable<SourceItem>;
};

const EXTENSIONS: Record<string, SourceFormat> = { '.jsonl': 'jsonl', '.ndjson': 'jsonl', '.json': 'jsonl', '.csv': 'csv' };

/** The format a file name implies (.jsonl, .ndjson, .json: JSON Lines; .csv), if any. */
export function formatFromPath(path: string): SourceFormat | undefined {
  return EXTENSIONS[extname(path).toLowerCase()];
}

/** Opens a file for streaming: read as it is consumed, so memory stays flat whatever its size. */
export async function openDocumentSource(path: string, format: SourceFormat): Promise<DocumentSource> {
  const { size, isFile } = await stat(path).then((s) => ({ size: s.size, isFile: s.isFile() }));
  if (!isFile) throw new Error(`${path} is not a file`);
  let done = 0;
  const progress = (bytes: number) => {
    done = Math.min(size, done + bytes);
  };
  async function* chunks(): AsyncGenerator<string> {
    // A streaming decoder: a UTF-8 character split across two reads is joined, not mangled.
    const decoder = new TextDecoder('utf-8');
    for await (const buffer of createReadStream(path, { highWaterMark: 256 * 1024 })) {
      yield decoder.decode(buffer as Buffer, { stream: true });
    }
    const rest = decoder.decode();
    if (rest !== '') yield rest;
    done = size;
  }
  let handedOut = 0;
  async function* counted(items: AsyncIterable<SourceItem>): AsyncGenerator<SourceItem> {
    for await (const item of items) {
      handedOut += 1;
      yield item;
    }
  }
  return {
    path,
    format,
    totalBytes: size,
    position: () => ({ bytes: done, items: handedOut }),
    items: counted(format === 'csv' ? csvItems(chunks(), progress) : jsonLinesItems(chunks(), progress)),
  };
}

/** Told how many bytes of input the records handed out so far took (for progress). */
export type OnBytes = (bytes: number) => void;

/** JSON Lines: one document per line; blank lines are skipped, line numbers count every line. */
export async function* jsonLinesItems(chunks: AsyncIterable<string>, onBytes?: OnBytes): AsyncGenerator<SourceItem> {
  let line = 0;
  for await (const text of splitLines(chunks)) {
    line += 1;
    onBytes?.(Buffer.byteLength(text) + 1);
    const trimmed = line === 1 ? stripBom(text).trim() : text.trim();
    if (trimmed === '') continue;
    let value: unknown;
    try {
      value = JSON.parse(trimmed);
    } catch (error) {
      yield { kind: 'invalid', line, error: `invalid JSON: ${(error as Error).message}`, raw: text };
      continue;
    }
    const mapped = documentFromJson(value);
    yield 'error' in mapped
      ? { kind: 'invalid', line, error: mapped.error, raw: value }
      : { kind: 'document', line, input: mapped.input, raw: value };
  }
}

/**
 * CSV with a header row (RFC 4180). A header that names no content column is a fatal error,
 * thrown before any document is read; a malformed row is one invalid item.
 */
export async function* csvItems(chunks: AsyncIterable<string>, onBytes?: OnBytes): AsyncGenerator<SourceItem> {
  const parser = createCsvParser();
  let columns: CsvColumns | undefined;
  let first = true;
  // The parser works on text, not bytes: a chunk's bytes are shared out over the records it ends.
  const items = function* (records: ReturnType<typeof parser.push>, bytes: number): Generator<SourceItem> {
    let shared = 0;
    for (const [index, record] of records.entries()) {
      const share = Math.round((bytes * (index + 1)) / records.length) - shared;
      shared += share;
      onBytes?.(share);
      if (!columns) {
        columns = csvColumns(record.fields);
        continue;
      }
      const raw = csvRowObject(columns, record.fields);
      if (record.error) {
        yield { kind: 'invalid', line: record.line, error: `malformed CSV: ${record.error}`, raw };
        continue;
      }
      const mapped = documentFromCsv(columns, record.fields);
      yield 'error' in mapped
        ? { kind: 'invalid', line: record.line, error: mapped.error, raw }
        : { kind: 'document', line: record.line, input: mapped.input, raw };
    }
  };
  let unshared = 0;
  for await (const chunk of chunks) {
    const records = parser.push(first ? stripBom(chunk) : chunk);
    first = false;
    unshared += onBytes ? Buffer.byteLength(chunk) : 0;
    if (records.length === 0) continue;
    yield* items(records, unshared);
    unshared = 0;
  }
  yield* items(parser.end(), unshared);
  if (!columns) throw new Error('CSV file is empty: expected a header row');
}

/** Lines of a chunked text, split on LF with a trailing CR removed (CRLF files). */
export async function* splitLines(chunks: AsyncIterable<string>): AsyncGenerator<string> {
  let carry = '';
  for await (const chunk of chunks) {
    const text = carry + chunk;
    let start = 0;
    for (let end = text.indexOf('\n'); end !== -1; end = text.indexOf('\n', start)) {
      yield withoutCr(text.slice(start, end));
      start = end + 1;
    }
    carry = text.slice(start);
  }
  if (carry !== '') yield withoutCr(carry);
}

function withoutCr(line: string): string {
  return line.endsWith('\r') ? line.slice(0, -1) : line;
}

function stripBom(text: string): string {
  return text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
}
