import { createReadStream, createWriteStream } from 'node:fs';
import { rename, rm } from 'node:fs/promises';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createGunzip, createGzip } from 'node:zlib';

/** Archives are gzip when their name ends in `.gz`, plain JSON Lines otherwise. */
export function isGzipPath(path: string): boolean {
  return path.toLowerCase().endsWith('.gz');
}

/** The uncompressed bytes of an archive file, read as they are consumed; onBytes hears of the file's (compressed) bytes read. */
export function openArchiveFile(path: string, onBytes?: (bytes: number) => void): Readable {
  const file = createReadStream(path, { highWaterMark: 256 * 1024 });
  if (onBytes) file.on('data', (chunk) => onBytes(chunk.length));
  if (!isGzipPath(path)) return file;
  const gunzip = createGunzip();
  file.on('error', (error) => gunzip.destroy(error));
  return file.pipe(gunzip);
}

/**
 * Writes chunks to `path` (gzip by name) through a temporary file renamed into place at the end,
 * so a failed or interrupted export never leaves a file that looks whole.
 */
export async function writeArchiveFile(
  path: string,
  chunks: AsyncIterable<Buffer | Uint8Array>,
  /** Checks the written file before it takes its name (e.g. verifyArchive); throwing removes it. */
  verify?: (temporaryPath: string) => Promise<void>,
): Promise<void> {
  // The suffix keeps `.gz` last, so the temporary file reads back the same way as the final one.
  const temporary = isGzipPath(path) ? `${path.slice(0, -3)}.partial.gz` : `${path}.partial`;
  try {
    const source = Readable.from(chunks);
    const file = createWriteStream(temporary);
    await (isGzipPath(path) ? pipeline(source, createGzip(), file) : pipeline(source, file));
    await verify?.(temporary);
    await rename(temporary, path);
  } catch (error) {
    await rm(temporary, { force: true });
    throw error;
  }
}
