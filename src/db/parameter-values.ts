/**
 * JavaScript values as extended-protocol parameters, exactly as pg maps them when Kysely runs a
 * statement through pg's own Query: a pipelined statement (pipeline.ts) writes its Bind messages
 * itself and must bind the same. pg's mapper (prepareValue in pg/lib/utils.js) is not part of its
 * documented API nor of its ESM or type exports, so this is that mapping, kept to its behaviour
 * (test/db/parameter-values.test.ts compares both paths on the server):
 * - null and undefined: SQL null;
 * - a Buffer or any typed array: sent as it is, in binary format (pgvector's binary vectors);
 * - a Date: local time with its UTC offset (pg's default, parseInputDatesAsUTC off);
 * - an array: a PostgreSQL array literal;
 * - an object with toPostgres: what it returns, mapped again; any other object: its JSON;
 * - anything else: its string form.
 */
export function toParameterValue(value: unknown): string | Buffer | null {
  return mapValue(value, []);
}

type ToPostgres = { toPostgres: (prepare: (value: unknown) => unknown) => unknown };

function mapValue(value: unknown, seen: unknown[]): string | Buffer | null {
  if (value === null || value === undefined) return null;
  if (typeof value !== 'object') return String(value);
  if (value instanceof Buffer) return value;
  if (ArrayBuffer.isView(value)) return Buffer.from(value.buffer, value.byteOffset, value.byteLength);
  if (value instanceof Date) return dateText(value);
  if (Array.isArray(value)) return arrayLiteral(value);
  if (typeof (value as Partial<ToPostgres>).toPostgres === 'function') {
    if (seen.includes(value)) throw new Error(`circular reference detected while preparing "${String(value)}" for query`);
    return mapValue((value as ToPostgres).toPostgres(toParameterValue), [...seen, value]);
  }
  return JSON.stringify(value);
}

function arrayLiteral(values: readonly unknown[]): string {
  const items = values.map((item) => {
    if (item === null || item === undefined) return 'NULL';
    if (Array.isArray(item)) return arrayLiteral(item);
    if (ArrayBuffer.isView(item)) {
      const bytes = item instanceof Buffer ? item : Buffer.from(item.buffer, item.byteOffset, item.byteLength);
      return `\\\\x${bytes.toString('hex')}`;
    }
    const text = mapValue(item, []) as string;
    return `"${text.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`;
  });
  return `{${items.join(',')}}`;
}

function dateText(date: Date): string {
  let year = date.getFullYear();
  const beforeChrist = year < 1;
  if (beforeChrist) year = Math.abs(year) + 1; // year 0 is 1 BC
  const pad = (n: number, width = 2) => String(n).padStart(width, '0');
  let offset = -date.getTimezoneOffset();
  const sign = offset < 0 ? '-' : '+';
  offset = Math.abs(offset);
  return (
    `${pad(year, 4)}-${pad(date.getMonth() + 1)}-${pad(date.getDate())}T` +
    `${pad(date.getHours())}:${pad(date.getMinutes())}:${pad(date.getSeconds())}.${pad(date.getMilliseconds(), 3)}` +
    `${sign}${pad(Math.floor(offset / 60))}:${pad(offset % 60)}${beforeChrist ? ' BC' : ''}`
  );
}
