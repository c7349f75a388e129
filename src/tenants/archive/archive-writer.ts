import { createHash } from 'node:crypto';
import { type ArchiveDocument, type ArchiveHeader, encodeDocument, encodeHeader, encodeTrailer } from './archive-format.js';

/** Lines are gathered into chunks of about this size: one write per line would be a syscall each. */
const CHUNK_BYTES = 64 * 1024;

/**
 * The archive as a stream of Buffers: the header, one line per document as it arrives, then the
 * trailer (count and sha256 of every byte before it). Pull-driven, so a slow reader slows the
 * source (`Readable.from(encodeArchive(...))` or an HTTP body) and a tenant never sits in memory.
 */
export async function* encodeArchive(header: ArchiveHeader, documents: AsyncIterable<ArchiveDocument>): AsyncGenerator<Buffer> {
  const hash = createHash('sha256');
  let pending: Buffer[] = [];
  let pendingBytes = 0;
  const add = (line: string) => {
    const bytes = Buffer.from(line, 'utf8');
    hash.update(bytes);
    pending.push(bytes);
    pendingBytes += bytes.length;
  };
  const take = () => {
    const chunk = Buffer.concat(pending, pendingBytes);
    pending = [];
    pendingBytes = 0;
    return chunk;
  };

  add(encodeHeader(header));
  let count = 0;
  for await (const document of documents) {
    if (document.vector.length !== header.dimensions) {
      throw new RangeError(`document ${document.externalId}: vector has ${document.vector.length} dimensions, the archive ${header.dimensions}`);
    }
    add(encodeDocument(document));
    count += 1;
    if (pendingBytes >= CHUNK_BYTES) yield take();
  }
  const sha256 = hash.digest('hex');
  pending.push(Buffer.from(encodeTrailer({ documents: count, sha256 }), 'utf8'));
  pendingBytes += pending[pending.length - 1]!.length;
  yield take();
}
