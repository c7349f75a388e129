import { createHash } from 'node:crypto';
import type { Readable } from 'node:stream';
import {
  type ArchiveDocument,
  ArchiveError,
  type ArchiveHeader,
  type ArchiveTrailer,
  decodeDocument,
  decodeHeader,
  decodeTrailer,
  isTrailer,
  parseLine,
} from './archive-format.js';

export type ArchiveRecord =
  | { type: 'header'; line: number; header: ArchiveHeader }
  | { type: 'document'; line: number; document: ArchiveDocument }
  | { type: 'trailer'; line: number; trailer: ArchiveTrailer };

/** A line longer than this is refused: a foreign binary file must not be buffered whole. */
export const MAX_LINE_BYTES = 64 * 1024 * 1024;

const NEWLINE = 0x0a;

/**
 * Reads an archive as it streams: the header, each document, and last the trailer, once its
 * count and sha256 match every byte before it. Any problem throws an ArchiveError naming the
 * line; a file that ends without a trailer is truncated. Documents are yielded before the
 * trailer is seen, so a caller that must write nothing from a bad file reads it twice (see
 * verifyArchive) or holds its writes until the trailer.
 */
export async function* readArchive(source: AsyncIterable<Buffer | string> | Readable): AsyncGenerator<ArchiveRecord> {
  const hash = createHash('sha256');
  let header: ArchiveHeader | undefined;
  let trailer: ArchiveTrailer | undefined;
  let documents = 0;
  let line = 0;
  let carry: Buffer[] = [];
  let carryBytes = 0;

  const decodeLine = (bytes: Buffer): ArchiveRecord => {
    line += 1;
    if (trailer !== undefined) throw new ArchiveError(line, 'comes after the trailer: the archive ended on the line before');
    const record = parseLine(bytes.toString('utf8'), line);
    if (header === undefined) {
      header = decodeHeader(record, line);
      hash.update(bytes);
      return { type: 'header', line, header };
    }
    if (isTrailer(record)) {
      trailer = decodeTrailer(record, line);
      if (trailer.documents !== documents) {
        throw new ArchiveError(line, `says ${trailer.documents} documents, the archive holds ${documents}`, 'documents');
      }
      const actual = hash.digest('hex');
      if (trailer.sha256 !== actual) throw new ArchiveError(line, `checksum mismatch: the lines before hash to ${actual}`, 'sha256');
      return { type: 'trailer', line, trailer };
    }
    const document = decodeDocument(record, header.dimensions, line);
    hash.update(bytes);
    documents += 1;
    return { type: 'document', line, document };
  };

  try {
    for await (const chunk of source) {
      let bytes = typeof chunk === 'string' ? Buffer.from(chunk, 'utf8') : chunk;
      let newline = bytes.indexOf(NEWLINE);
      while (newline !== -1) {
        const piece = bytes.subarray(0, newline + 1);
        const whole = carry.length === 0 ? piece : Buffer.concat([...carry, piece], carryBytes + piece.length);
        carry = [];
        carryBytes = 0;
        yield decodeLine(whole);
        bytes = bytes.subarray(newline + 1);
        newline = bytes.indexOf(NEWLINE);
      }
      if (bytes.length > 0) {
        carry.push(Buffer.from(bytes)); // a copy: the source may reuse its buffer
        carryBytes += bytes.length;
        if (carryBytes > MAX_LINE_BYTES) throw new ArchiveError(line + 1, `is longer than ${MAX_LINE_BYTES} bytes`);
      }
    }
  } catch (error) {
    if (error instanceof ArchiveError) throw error;
    // A gzip stream cut short fails in the decompressor: still a truncated archive, at this line.
    throw new ArchiveError(line + 1, `cannot be read (${(error as Error).message}): the file is truncated or corrupt`, undefined);
  }
  if (carryBytes > 0) {
    // A last line without its newline is only acceptable as the trailer.
    const last = Buffer.concat(carry, carryBytes);
    let record: Record<string, unknown> | undefined;
    try {
      record = JSON.parse(last.toString('utf8')) as Record<string, unknown>;
    } catch {
      record = undefined;
    }
    if (header === undefined || record === undefined || typeof record !== 'object' || record === null || !isTrailer(record)) {
      throw new ArchiveError(line + 1, 'is cut short: the file is truncated (no trailer)');
    }
    yield decodeLine(last);
  }
  if (header === undefined) throw new ArchiveError(1, 'the file is empty: not a Narwhal tenant archive');
  if (trailer === undefined) {
    throw new ArchiveError(line + 1, `the file is truncated: it ends after line ${line} without the trailer ({"end":true,...})`);
  }
}

/** Reads a whole archive without keeping it: its header and document count once the trailer checks out. */
export async function verifyArchive(source: AsyncIterable<Buffer | string> | Readable): Promise<{ header: ArchiveHeader; documents: number }> {
  let header: ArchiveHeader | undefined;
  let documents = 0;
  for await (const record of readArchive(source)) {
    if (record.type === 'header') header = record.header;
    if (record.type === 'trailer') documents = record.trailer.documents;
  }
  return { header: header!, documents };
}
