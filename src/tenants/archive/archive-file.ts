import { createReadStream, createWriteStream } from 'node:fs';
import { rename, rm } from 'node:fs/promises';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createGunzip, createGzip } from 'node:zlib';

/** Archives are gzip when their name ends in `.gz`, plain JSON Lines otherwise. */
export function isGzipPath(path: string): boolean {
  return path.toLowerCase().endsWith('.gz');
}

/** The uncompressed bytes of an archive file, read as they are consumed. */
export function openArchiveFile(path: string): Readable {
  const file = createReadStream(path, { highWaterMark: 256 * 1024 });
  if (!isGzipPath(path)) return file;
  const gunzip = createGunzip();
  file.on('error', (error) => gunzip.destroy(error));
  return file.pipe(gunzip);
}

/**
 * Writes chunks to `path` (gzip by name) through a temporary file renamed into place at the end,
 * so a failed or interrupted export never leaves a file that looks whole.
 */
export async function writeArchiveFile(path: string, chunks: AsyncIterable<Buffer | Uint8Array>): Promise<void> {
  const temporary = `${path}.partial`;
  try {
    const source = Readable.from(chunks);
    const file = createWriteStream(temporary);
    await (isGzipPath(path) ? pipeline(source, createGzip(), file) : pipeline(source, file));
    await rename(temporary, path);
  } catch (error) {
    await rm(temporary, { force: true });
    throw error;
  }
}
