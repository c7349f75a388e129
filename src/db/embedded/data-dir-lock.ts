import { randomUUID } from 'node:crypto';
import { linkSync, mkdirSync, readFileSync, renameSync, unlinkSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { basename, dirname, join } from 'node:path';

/**
 * Who holds a data directory. Written as JSON into `<pgdata>.lock` beside the embedded engine's
 * files; `startTime` (the kernel's start time of the process, on Linux) tells a live owner from a
 * crashed one whose pid was reused.
 */
export type DataDirOwner = {
  pid: number;
  host: string;
  startTime: string | null;
  /** What the owner is: `server`, `ingest`, `db:embedded`... */
  role: string;
  since: string;
  /** Where the owner can be reached, once it knows (the server's GraphQL URL, a psql URL). */
  url?: string;
  nonce: string;
};

export class DataDirLockedError extends Error {
  constructor(
    readonly owner: DataDirOwner,
    readonly lockPath: string,
  ) {
    super(describeRefusal(owner, lockPath));
    this.name = 'DataDirLockedError';
  }
}

export type DataDirLock = {
  readonly path: string;
  /** Adds where the owner can be reached, for the message a second process gets. */
  announce(url: string): void;
  release(): void;
};

/**
 * Takes the data directory for this process, or throws DataDirLockedError naming its owner.
 * PGlite is one process's files: two processes on one directory each keep their own copy in
 * memory and overwrite each other's (a load into a directory a server holds was lost). A lock
 * left by a process that has died (killed, crashed, a power cut) is taken over.
 */
export function lockDataDir(pgdata: string, role: string): DataDirLock {
  const path = `${pgdata}.lock`;
  mkdirSync(dirname(path), { recursive: true });
  const owner: DataDirOwner = {
    pid: process.pid,
    host: hostname(),
    startTime: processStartTime(process.pid),
    role,
    since: new Date().toISOString(),
    nonce: randomUUID(),
  };
  for (let attempt = 0; ; attempt += 1) {
    if (createExclusive(path, owner)) break;
    const current = readOwner(path);
    if (current === 'missing') continue;
    if (current !== 'unreadable' && isAlive(current)) throw new DataDirLockedError(current, path);
    if (current === 'unreadable' && attempt < 20) {
      // Another process is between creating the file and writing it: give it a moment.
      Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 50);
      continue;
    }
    takeOver(path, current === 'unreadable' ? undefined : current);
  }
  const release = () => {
    process.off('exit', release);
    // Only our own lock: never one a later owner took over.
    const current = readOwner(path);
    if (typeof current === 'object' && current.nonce === owner.nonce) unlinkQuietly(path);
  };
  // A process that exits without closing its engine (a second signal) leaves no lock behind.
  process.on('exit', release);
  return {
    path,
    announce(url) {
      owner.url = url;
      const current = readOwner(path);
      if (typeof current === 'object' && current.nonce === owner.nonce) writeFileSync(path, JSON.stringify(owner));
    },
    release,
  };
}

function createExclusive(path: string, owner: DataDirOwner): boolean {
  // Written whole to a file of our own, then linked into place: link fails if the lock exists,
  // so a reader never sees a half-written lock of ours.
  const own = `${path}.${owner.nonce}`;
  writeFileSync(own, JSON.stringify(owner));
  try {
    linkSync(own, path);
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw error;
  } finally {
    unlinkQuietly(own);
  }
}

/**
 * Removes a dead owner's lock. It is moved aside first, so of two processes taking over at once
 * only one moves it; if what was moved turns out to be a live lock (another process took over
 * in between), it is put back.
 */
function takeOver(path: string, dead: DataDirOwner | undefined): void {
  const aside = join(dirname(path), `.${basename(path)}.stale-${randomUUID()}`);
  try {
    renameSync(path, aside);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return;
    throw error;
  }
  const moved = readOwner(aside);
  if (typeof moved === 'object' && moved.nonce !== dead?.nonce && isAlive(moved)) {
    try {
      linkSync(aside, path);
    } catch {
      // Someone else holds the path now; the next attempt reads that owner.
    }
  }
  unlinkQuietly(aside);
}

function readOwner(path: string): DataDirOwner | 'missing' | 'unreadable' {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return 'missing';
    throw error;
  }
  try {
    const owner = JSON.parse(text) as DataDirOwner;
    return typeof owner.pid === 'number' && typeof owner.nonce === 'string' ? owner : 'unreadable';
  } catch {
    return 'unreadable';
  }
}

/**
 * Whether the owner still runs. On another host nothing can be checked here, so it counts as
 * alive: the refusal says which file to remove once that process is known to be gone.
 */
function isAlive(owner: DataDirOwner): boolean {
  if (owner.host !== hostname()) return true;
  try {
    process.kill(owner.pid, 0);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EPERM') return false;
  }
  // The pid runs, but it may be another process that reused it (a container's pid 1 after a restart).
  const startTime = processStartTime(owner.pid);
  return owner.startTime === null || startTime === null || startTime === owner.startTime;
}

/** The process's start time in clock ticks since boot (field 22 of /proc/<pid>/stat); null off Linux. */
function processStartTime(pid: number): string | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name may hold spaces and parentheses: fields resume after the last ')'.
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19] ?? null;
  } catch {
    return null;
  }
}

function unlinkQuietly(path: string): void {
  try {
    unlinkSync(path);
  } catch {
    // already gone
  }
}

function describeRefusal(owner: DataDirOwner, lockPath: string): string {
  const where = owner.host === hostname() ? `pid ${owner.pid}` : `pid ${owner.pid} on host ${owner.host}`;
  const reach = owner.url ? `, at ${owner.url}` : '';
  return (
    `The data directory ${dirname(lockPath)} is in use by ${owner.role} (${where}, since ${owner.since}${reach}). ` +
    'One process at a time serves an embedded database: stop that one first' +
    (owner.role === 'server' && owner.url ? `, or go through it (npm run ingest -- --server ${owner.url} ...)` : '') +
    `. If that process is gone (another host cannot be checked from here), remove ${lockPath}.`
  );
}
