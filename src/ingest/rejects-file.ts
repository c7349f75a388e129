import { createWriteStream } from 'node:fs';
import { rm } from 'node:fs/promises';
import { once } from 'node:events';
import type { Rejection } from './ingest.service.js';

export type RejectsFile = {
  path: string;
  /** Records written so far. */
  readonly written: number;
  write(rejection: Rejection): Promise<void>;
  /** Closes the file; removes it when nothing was written, so it always describes the last run. */
  close(): Promise<{ written: number }>;
};

/** A JSON Lines file of `{line, error, input}`, created (or emptied) when the run starts. */
export async function openRejectsFile(path: string): Promise<RejectsFile> {
  const stream = createWriteStream(path, { flags: 'w' });
  await once(stream, 'open');
  let written = 0;
  return {
    path,
    get written() {
      return written;
    },
    async write(rejection) {
      written += 1;
      if (!stream.write(`${JSON.stringify(rejection)}\n`)) await once(stream, 'drain');
    },
    async close() {
      stream.end();
      await once(stream, 'close'); // rejects on a write error

      if (written === 0) await rm(path, { force: true });
      return { written };
    },
  };
}
