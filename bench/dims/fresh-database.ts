import pg from 'pg';

/**
 * A new database beside the one `url` names, `<database>_<suffix>` (dropped first if a run left
 * it behind): a layout's dimension and storage are fixed when its database is created.
 */
export async function freshDatabase(url: string, suffix: string): Promise<string> {
  const name = `${new URL(url).pathname.slice(1)}_${suffix}`;
  if (!/^[a-z0-9_]{1,63}$/.test(name)) throw new Error(`not a database name: ${name}`);
  await run(url, `drop database if exists ${name} with (force)`);
  await run(url, `create database ${name}`);
  const next = new URL(url);
  next.pathname = `/${name}`;
  return next.toString();
}

export async function dropDatabase(url: string): Promise<void> {
  await run(url, `drop database if exists ${new URL(url).pathname.slice(1)} with (force)`);
}

/** Runs a statement on the server's maintenance database (postgres). */
async function run(url: string, text: string): Promise<void> {
  const target = new URL(url);
  target.pathname = '/postgres';
  const client = new pg.Client({ connectionString: target.toString() });
  await client.connect();
  try {
    await client.query(text);
  } finally {
    await client.end();
  }
}
