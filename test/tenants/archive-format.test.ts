import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ArchiveDocument, ArchiveError, type ArchiveHeader, encodeVector } from '../../src/tenants/archive/archive-format.js';
import { openArchiveFile, writeArchiveFile } from '../../src/tenants/archive/archive-file.js';
import { type ArchiveRecord, readArchive, verifyArchive } from '../../src/tenants/archive/archive-reader.js';
import { encodeArchive } from '../../src/tenants/archive/archive-writer.js';

const header: ArchiveHeader = {
  narwhal: 'tenant-archive',
  version: 1,
  tenant: { slug: 'acme', name: 'Acme', placement: 'SHARED', hnsw: { m: 16, efConstruction: 128 }, efSearch: 100 },
  dimensions: 4,
  distanceMetric: 'cosine',
  model: 'hashing-test',
  exportedAt: '2026-12-02T19:00:00.000Z',
};

// Edge values a decimal round trip could lose: -0, the smallest subnormal, the largest float32,
// values that are not exactly representable in few digits.
const SPECIAL = new Float32Array([-0, 1.401298464324817e-45, 3.4028234663852886e38, 0.1]);

function document(index: number, vector = new Float32Array([index, -index / 3, 1 / (index + 7), Math.PI])): ArchiveDocument {
  return {
    externalId: `doc-${index}`,
    content: `content ${index} — ünïcödé ✓`,
    metadata: { index, tags: ['a', 'b'], nested: { ok: true } },
    model: 'hashing-test',
    createdAt: '2026-12-01T10:00:00.123456+00:00',
    updatedAt: '2026-12-01T11:00:00.654321+00:00',
    // Optional in the format: one document of every three expires.
    expiresAt: index % 3 === 2 ? '2099-01-02T03:04:05.678901Z' : null,
    vector,
  };
}

async function* from<T>(items: T[]): AsyncGenerator<T> {
  yield* items;
}

async function encode(documents: ArchiveDocument[]): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of encodeArchive(header, from(documents))) chunks.push(chunk);
  return Buffer.concat(chunks);
}

async function read(bytes: Buffer | string, chunkSize = 7): Promise<ArchiveRecord[]> {
  const buffer = typeof bytes === 'string' ? Buffer.from(bytes) : bytes;
  // Small chunks: lines and UTF-8 characters split across reads must be joined.
  const chunks = Array.from({ length: Math.ceil(buffer.length / chunkSize) }, (_, i) => buffer.subarray(i * chunkSize, (i + 1) * chunkSize));
  const records: ArchiveRecord[] = [];
  for await (const record of readArchive(from(chunks))) records.push(record);
  return records;
}

async function refusal(bytes: Buffer | string): Promise<ArchiveError> {
  const error = await read(bytes).then(
    () => undefined,
    (caught: unknown) => caught,
  );
  expect(error).toBeInstanceOf(ArchiveError);
  return error as ArchiveError;
}

function lines(bytes: Buffer): string[] {
  return bytes.toString('utf8').split('\n').slice(0, -1);
}

function bits(vector: Float32Array): number[] {
  return Array.from(new Uint32Array(vector.buffer, vector.byteOffset, vector.length));
}

describe('tenant archive format', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'narwhal-archive-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('round-trips documents and float32 vectors bit for bit, -0 and subnormals included', async () => {
    const documents = [document(0, SPECIAL), document(1), document(2)];
    const records = await read(await encode(documents));
    expect(records.map((r) => r.type)).toEqual(['header', 'document', 'document', 'document', 'trailer']);
    expect(records[0]).toEqual({ type: 'header', line: 1, header });
    const decoded = records.flatMap((r) => (r.type === 'document' ? [r.document] : []));
    decoded.forEach((got, index) => {
      const want = documents[index]!;
      expect({ ...got, vector: undefined }).toEqual({ ...want, vector: undefined });
      expect(bits(got.vector)).toEqual(bits(want.vector));
    });
    expect(Object.is(decoded[0]!.vector[0], -0)).toBe(true);
    expect(decoded[0]!.vector[1]).toBe(1.401298464324817e-45);
    expect(records[4]).toMatchObject({ type: 'trailer', line: 5, trailer: { end: true, documents: 3 } });
  });

  it('writes the agreed line shapes: header, base64 little-endian float32 vectors, trailer with sha256', async () => {
    const bytes = await encode([document(0, new Float32Array([1, -0, 0.5, 2]))]);
    const [first, second, third] = lines(bytes).map((line) => JSON.parse(line) as Record<string, unknown>);
    expect(first).toEqual(header);
    const vector = Buffer.from(second!.vector as string, 'base64');
    expect(vector.toString('hex')).toBe('0000803f' + '00000080' + '0000003f' + '00000040');
    const { createHash } = await import('node:crypto');
    const body = bytes.subarray(0, bytes.length - Buffer.byteLength(`${lines(bytes)[2]}\n`));
    expect(third).toEqual({ end: true, documents: 1, sha256: createHash('sha256').update(body).digest('hex') });
  });

  it('writes expiresAt only for a document that expires, reads it back, and reads a line without it or with null as never expiring', async () => {
    const good = lines(await encode([document(1), document(2)]));
    expect(JSON.parse(good[1]!)).not.toHaveProperty('expiresAt');
    expect(JSON.parse(good[2]!).expiresAt).toBe('2099-01-02T03:04:05.678901Z');
    const withNull = JSON.stringify({ ...JSON.parse(good[1]!), expiresAt: null });
    const body = `${good[0]}\n${withNull}\n${good[2]}\n`;
    const { createHash } = await import('node:crypto');
    const trailer = JSON.stringify({ end: true, documents: 2, sha256: createHash('sha256').update(body).digest('hex') });
    const records = await read(`${body}${trailer}\n`);
    const expiries = records.flatMap((r) => (r.type === 'document' ? [r.document.expiresAt] : []));
    expect(expiries).toEqual([null, '2099-01-02T03:04:05.678901Z']);
  });

  it('refuses NaN and infinite values, writing and reading', async () => {
    expect(() => encodeVector(new Float32Array([1, Number.NaN]))).toThrow(/vector\[1\] is NaN/);
    expect(() => encodeVector(new Float32Array([Number.POSITIVE_INFINITY]))).toThrow(/Infinity/);
    const good = lines(await encode([document(1)]));
    const nan = Buffer.alloc(16);
    nan.writeFloatLE(Number.NaN, 8);
    const bad = JSON.stringify({ ...JSON.parse(good[1]!), vector: nan.toString('base64') });
    const error = await refusal(`${good[0]}\n${bad}\n${good[2]}\n`);
    expect(error.message).toBe('line 2: vector: value 2 is NaN: only finite values are allowed');
    expect(error.line).toBe(2);
  });

  it('refuses a truncated file (no trailer), naming the line, plain and gzip', async () => {
    const good = lines(await encode([document(1), document(2), document(3)]));
    const cut = `${good.slice(0, 3).join('\n')}\n`;
    const error = await refusal(cut);
    expect(error.line).toBe(4);
    expect(error.message).toMatch(/^line 4: .*truncated.*ends after line 3/);
    // Cut in the middle of a line.
    const midLine = `${good.slice(0, 2).join('\n')}\n${good[2]!.slice(0, 30)}`;
    expect((await refusal(midLine)).message).toMatch(/^line 3: is cut short: the file is truncated/);
    // A gzip file cut short fails in the decompressor: still named as truncated, with its line.
    const gz = gzipSync(Buffer.from(`${good.join('\n')}\n`));
    const path = join(dir, 'cut.jsonl.gz');
    await writeFile(path, gz.subarray(0, gz.length - 12));
    const gzipError = await verifyArchive(openArchiveFile(path)).then(
      () => undefined,
      (caught: unknown) => caught as ArchiveError,
    );
    expect(gzipError).toBeInstanceOf(ArchiveError);
    expect(gzipError!.message).toMatch(/^line \d+: cannot be read \(.*\): the file is truncated or corrupt/);
  });

  it('refuses a wrong checksum or count on the trailer line', async () => {
    const good = lines(await encode([document(1), document(2)]));
    const tampered = good[1]!.replace('content 1', 'content X');
    const error = await refusal(`${good[0]}\n${tampered}\n${good[2]}\n${good[3]}\n`);
    expect(error.message).toMatch(/^line 4: sha256: checksum mismatch/);
    const dropped = await refusal(`${good[0]}\n${good[1]}\n${good[3]}\n`);
    expect(dropped.message).toBe('line 3: documents: says 2 documents, the archive holds 1');
    const after = await refusal(`${good.join('\n')}\n${good[1]}\n`);
    expect(after.message).toMatch(/^line 5: comes after the trailer/);
  });

  it('refuses a foreign file on line 1', async () => {
    expect((await refusal('id,content\n1,hello\n')).message).toBe('line 1: is not JSON');
    expect((await refusal('{"externalId":"a","content":"b"}\n')).message).toMatch(/^line 1: not a Narwhal tenant archive/);
    expect((await refusal(Buffer.from([0x1f, 0x8b, 0x08, 0x00, 0x0a]))).line).toBe(1);
    expect((await refusal('')).message).toMatch(/^line 1: the file is empty/);
    const future = JSON.stringify({ ...header, version: 2 });
    expect((await refusal(`${future}\n`)).message).toMatch(/^line 1: version: version 2 is not supported/);
  });

  it('names the line and the field of a bad document line', async () => {
    const good = lines(await encode([document(1), document(2)]));
    const second = JSON.parse(good[2]!) as Record<string, unknown>;
    const cases: Array<[Record<string, unknown>, string]> = [
      [{ ...second, externalId: '' }, 'line 3: externalId: must be a non-empty string'],
      [{ ...second, metadata: [1] }, 'line 3: metadata: must be a JSON object'],
      [{ ...second, createdAt: 'yesterday' }, 'line 3: createdAt: must be an ISO 8601 timestamp'],
      [{ ...second, expiresAt: 'someday' }, 'line 3: expiresAt: must be an ISO 8601 timestamp'],
      [{ ...second, expiresAt: 17 }, 'line 3: expiresAt: must be a string'],
      [{ ...second, vector: 'AAAA' }, 'line 3: vector: must hold 4 float32 values (16 bytes), got 3 bytes'],
      [{ ...second, vector: 'not base64!' }, 'line 3: vector: must be base64 text of float32 bytes'],
      [{ ...second, colour: 'red' }, 'line 3: colour: is not part of the archive format'],
    ];
    for (const [line, message] of cases) {
      const error = await refusal(`${good[0]}\n${good[1]}\n${JSON.stringify(line)}\n${good[3]}\n`);
      expect(error.message).toBe(message);
      expect(error.code).toBe('BAD_USER_INPUT');
    }
  });

  it('writes and reads files, gzip by name, without leaving a partial file behind on failure', async () => {
    const documents = [document(1), document(2, SPECIAL)];
    for (const name of ['tenant.jsonl', 'tenant.jsonl.gz']) {
      const path = join(dir, name);
      await writeArchiveFile(path, encodeArchive(header, from(documents)));
      const raw = await readFile(path);
      expect(raw[0] === 0x1f && raw[1] === 0x8b).toBe(name.endsWith('.gz'));
      expect(await verifyArchive(openArchiveFile(path))).toEqual({ header, documents: 2 });
    }
    async function* failing(): AsyncGenerator<ArchiveDocument> {
      yield document(1);
      throw new Error('source failed');
    }
    const path = join(dir, 'failed.jsonl');
    await expect(writeArchiveFile(path, encodeArchive(header, failing()))).rejects.toThrow('source failed');
    await expect(readFile(path)).rejects.toThrow(/ENOENT/);
    await expect(readFile(`${path}.partial`)).rejects.toThrow(/ENOENT/);
  });
});
