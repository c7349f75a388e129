import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DataDirLockedError, lockDataDir } from '../../src/db/embedded/data-dir-lock.js';

const ROOT = join(import.meta.dirname, '../..');
let dir: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'narwhal-data-dir-lock-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** Another process taking the lock, as `npm run ingest` or a second server would. */
function lockFromAnotherProcess(pgdata: string, hold = false) {
  const script = `
    import { lockDataDir } from './src/db/embedded/data-dir-lock.ts';
    try {
      lockDataDir(${JSON.stringify(pgdata)}, 'second');
      console.log('locked');
      if (${hold}) setInterval(() => {}, 1000);
    } catch (error) {
      console.log(error.name + ': ' + error.message);
    }`;
  return spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { cwd: ROOT, stdio: ['ignore', 'pipe', 'inherit'] });
}

async function outputOf(child: ReturnType<typeof spawn>): Promise<string> {
  let out = '';
  child.stdout!.on('data', (chunk) => (out += String(chunk)));
  await new Promise((resolve) => child.once('exit', resolve));
  return out.trim();
}

describe('lockDataDir', () => {
  it('refuses a second process while the first holds the directory, naming the owner and where it is reached', async () => {
    const pgdata = join(dir, 'held', 'pgdata');
    const lock = lockDataDir(pgdata, 'server');
    lock.announce('http://127.0.0.1:4000/graphql');
    try {
      const refused = await outputOf(lockFromAnotherProcess(pgdata));
      expect(refused).toContain('DataDirLockedError');
      expect(refused).toContain(`in use by server (pid ${process.pid}`);
      expect(refused).toContain('at http://127.0.0.1:4000/graphql');
      expect(refused).toContain('npm run ingest -- --server http://127.0.0.1:4000/graphql');
      expect(() => lockDataDir(pgdata, 'again')).toThrow(DataDirLockedError);
    } finally {
      lock.release();
    }
    expect(existsSync(`${pgdata}.lock`)).toBe(false);
    expect(await outputOf(lockFromAnotherProcess(pgdata))).toBe('locked');
  });

  it('takes over the lock of a process that was killed', async () => {
    const pgdata = join(dir, 'crashed', 'pgdata');
    const holder = lockFromAnotherProcess(pgdata, true);
    await new Promise<void>((resolve) => holder.stdout!.on('data', (chunk) => String(chunk).includes('locked') && resolve()));
    expect(() => lockDataDir(pgdata, 'server')).toThrow(DataDirLockedError);
    holder.kill('SIGKILL');
    await new Promise((resolve) => holder.once('exit', resolve));
    expect(existsSync(`${pgdata}.lock`)).toBe(true);

    const lock = lockDataDir(pgdata, 'server');
    expect(JSON.parse(await readFile(`${pgdata}.lock`, 'utf8'))).toMatchObject({ pid: process.pid, role: 'server' });
    lock.release();
  });

  it('takes over a lock whose pid now belongs to another process (the pid was reused), refuses one from another host', async () => {
    const pgdata = join(dir, 'reused', 'pgdata');
    const stale = { pid: process.pid, host: hostname(), startTime: '1', role: 'server', since: '2026-01-01T00:00:00.000Z', nonce: 'old' };
    await mkdir(join(dir, 'reused'));
    await writeFile(`${pgdata}.lock`, JSON.stringify(stale));
    lockDataDir(pgdata, 'server').release();

    await writeFile(`${pgdata}.lock`, JSON.stringify({ ...stale, host: 'elsewhere' }));
    expect(() => lockDataDir(pgdata, 'server')).toThrow(
      `in use by server (pid ${process.pid} on host elsewhere, since 2026-01-01T00:00:00.000Z). One process at a time`,
    );
    expect(() => lockDataDir(pgdata, 'server')).toThrow(`remove ${pgdata}.lock`);
  });
});
