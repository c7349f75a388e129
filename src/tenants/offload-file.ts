import { createHash, randomBytes } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdir, open, readdir, rename, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { Readable, Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createGunzip, createGzip } from 'node:zlib';
import type { TenantId } from './tenant.js';

/*
 * Offload files: `<tenant id>.<nonce>.jsonl.gz` in OFFLOAD_DIR, written as `<name>.tmp`, fsynced,
 * renamed into place and the directory fsynced, so the name the database records only ever
 * points at a whole file that survives a power cut. The nonce makes each offload's file new: a
 * file left by an offload that crashed before its commit is never mistaken for the tenant's.
 */

/** A fresh file name for one offload of the tenant (its id only, never the slug). */
export function newOffloadFileName(tenantId: TenantId): string {
  return `${tenantId}.${randomBytes(8).toString('hex')}.jsonl.gz`;
}

/** Gzips chunks into dir/name durably; the sha256 of the file's bytes as written. */
export async function writeOffloadFile(dir: string, name: string, chunks: AsyncIterable<Buffer>): Promise<string> {
  await mkdir(dir, { recursive: true });
  const path = join(dir, name);
  const temporary = `${path}.tmp`;
  const hash = createHash('sha256');
  const hashing = new Transform({
    transform(chunk: Buffer, _encoding, done) {
      hash.update(chunk);
      done(null, chunk);
    },
  });
  try {
    await pipeline(Readable.from(chunks), createGzip(), hashing, createWriteStream(temporary));
    await fsync(temporary);
    await rename(temporary, path);
    await fsync(dir);
  } catch (error) {
    await rm(temporary, { force: true });
    throw error;
  }
  return hash.digest('hex');
}

/** The sha256 of a file's bytes, streamed; undefined when the file does not exist. */
export async function sha256OfFile(path: string): Promise<string | undefined> {
  const hash = createHash('sha256');
  try {
    for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
  return hash.digest('hex');
}

/** The uncompressed bytes of an offload file, as they are read. */
export function openOffloadFile(path: string): Readable {
  const file = createReadStream(path, { highWaterMark: 256 * 1024 });
  const gunzip = createGunzip();
  file.on('error', (error) => gunzip.destroy(error));
  return file.pipe(gunzip);
}

/**
 * Removes the tenant's files in dir other than keep: what an offload or restore that crashed
 * around its commit left behind. Only call it holding the tenant's exclusive lock, so no other
 * process is between writing such a file and committing its name.
 */
export async function removeStrayOffloadFiles(dir: string, tenantId: TenantId, keep?: string): Promise<string[]> {
  const names = await readdir(dir).catch((error: NodeJS.ErrnoException) => {
    if (error.code === 'ENOENT') return [] as string[];
    throw error;
  });
  const strays = names.filter((name) => name.startsWith(`${tenantId}.`) && name !== keep);
  for (const name of strays) await rm(join(dir, name), { force: true });
  if (strays.length > 0) await fsync(dir);
  return strays;
}

/** Deletes one file (after the commit that stopped needing it) and makes that durable. */
export async function removeOffloadFile(dir: string, name: string): Promise<void> {
  await rm(join(dir, name), { force: true });
  await fsync(dir);
}

async function fsync(path: string): Promise<void> {
  const handle = await open(path, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}
