import { AppError } from '../domain-errors.js';
import { downloadArchive } from '../tenants/archive/archive-download.js';
import { importArchive } from './archive-import.js';

export const ARCHIVE_USAGE = [
  'export <slug> <file>   (the tenant\'s archive, streamed from the server; gzip when <file> ends in .gz)',
  'import <slug> <file> [--into-existing] [--batch-size 256] [--rejects <file>.rejects.jsonl]',
];

export type ArchiveCommandArgs = {
  url: string;
  adminToken: string;
  slug: string;
  file: string;
  intoExisting: boolean;
  batchSize: number;
  rejects: string | undefined;
};

const say = (message: string) => console.error(`[archive] ${message}`);

/**
 * `npm run admin -- export|import`: returns the exit code (import: runIngest's, 2 when documents
 * were rejected). A refusal (a truncated or foreign file, an existing slug) prints its code and
 * message, naming the line for a bad file, and exits 1.
 */
export async function runArchiveCommand(name: 'export' | 'import', args: ArchiveCommandArgs): Promise<number> {
  try {
    if (name === 'export') {
      const written = await downloadArchive(args.url, args.adminToken, args.slug, args.file);
      console.log(JSON.stringify({ slug: args.slug, file: args.file, ...written }, null, 2));
      return 0;
    }
    return await importArchive({
      url: args.url,
      adminToken: args.adminToken,
      slug: args.slug,
      file: args.file,
      intoExisting: args.intoExisting,
      batchSize: args.batchSize,
      rejects: args.rejects ?? `${args.file}.rejects.jsonl`,
      intervalMs: 2000,
      say,
      describeError,
    });
  } catch (error) {
    console.error(describeError(error));
    return 1;
  }
}

function describeError(error: unknown): string {
  if (error instanceof AppError) return `${error.code}: ${error.message}`;
  return error instanceof Error ? error.message : String(error);
}
