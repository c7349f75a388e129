import { type ChildProcessWithoutNullStreams, spawn } from 'node:child_process';
import { once } from 'node:events';
import { existsSync } from 'node:fs';

/** Debian's postgresql-client; CI (.ci/run) installs it with apt-get when it is missing. */
export const PSQL_PATH = process.env.PSQL_PATH ?? '/usr/bin/psql';

/**
 * A real psql session, fed commands on its standard input as a person types them, its connection
 * open between commands. Output is unaligned tuples only; errors come back as text, and psql goes on.
 */
export async function openPsql(url: string) {
  if (!existsSync(PSQL_PATH)) throw new Error(`psql not found at ${PSQL_PATH}: install postgresql-client (apt-get install postgresql-client)`);
  const child: ChildProcessWithoutNullStreams = spawn(PSQL_PATH, ['-X', '-q', '-A', '-t', '-v', 'ON_ERROR_STOP=0', url], {
    env: { ...process.env, PGCONNECT_TIMEOUT: '30' },
  });
  let out = '';
  let err = '';
  child.stdout.setEncoding('utf8').on('data', (text: string) => (out += text));
  child.stderr.setEncoding('utf8').on('data', (text: string) => (err += text));
  const exited = once(child, 'exit');
  let marker = 0;
  const session = {
    /** Runs SQL as typed at the prompt; what psql printed for it, and its errors. */
    async run(text: string): Promise<{ out: string; err: string }> {
      const tag = `psql-done-${++marker}`;
      const outFrom = out.length;
      const errFrom = err.length;
      // The statement ends with a semicolon, or psql would keep it for the next line. Both
      // streams then carry the tag, so each is complete when it shows.
      const statement = text.trimEnd().endsWith(';') ? text : `${text};`;
      child.stdin.write(`${statement}\n\\echo ${tag}\n\\warn ${tag}\n`);
      for (let waited = 0; !(out.includes(tag, outFrom) && err.includes(tag, errFrom)); waited += 10) {
        if (child.exitCode !== null) throw new Error(`psql exited (${child.exitCode}): ${err}`);
        if (waited > 60_000) throw new Error(`psql did not finish within 60 s: ${text}`);
        await new Promise((resolve) => setTimeout(resolve, 10));
      }
      return { out: out.slice(outFrom, out.indexOf(tag, outFrom)).trim(), err: err.slice(errFrom, err.indexOf(tag, errFrom)).trim() };
    },
    /** Quits as a person would (\q), and waits for psql to exit. */
    async quit(): Promise<void> {
      child.stdin.end('\\q\n');
      await exited;
    },
  };
  // psql connects at start; a first command proves the session is up.
  const first = await session.run('select 1');
  if (first.out !== '1') throw new Error(`psql did not connect: ${first.err}`);
  return session;
}

export type PsqlSession = Awaited<ReturnType<typeof openPsql>>;
