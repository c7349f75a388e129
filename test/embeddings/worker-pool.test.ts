import { Worker } from 'node:worker_threads';
import { afterEach, describe, expect, it } from 'vitest';
import { startEmbeddingWorkerPool, type EmbeddingWorkerPool } from '../../src/embeddings/worker-pool.js';

// A stand-in worker speaking the embedding worker protocol, so the pool's scheduling and failure
// handling can be driven exactly: each text becomes [length, threadId]; some texts misbehave.
const FAKE_WORKER = `
const { parentPort, threadId } = require('node:worker_threads');
parentPort.on('message', ({ id, texts }) => {
  if (texts.includes('exit')) process.exit(3);
  if (texts.includes('throw')) throw new Error('uncaught in worker');
  if (texts.includes('fail')) return parentPort.postMessage({ id, error: 'cannot embed "fail"' });
  // Holds the worker busy so later calls must queue behind this one.
  if (texts.includes('slow')) Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 300);
  parentPort.postMessage({ id, vectors: texts.map((text) => [text.length, threadId]) });
});
parentPort.postMessage({ ready: true });
`;
const fakeWorker = () => new Worker(FAKE_WORKER, { eval: true });

const pools: EmbeddingWorkerPool[] = [];
const startPool = async (size: number, chunkSize?: number) => {
  const pool = await startEmbeddingWorkerPool({
    label: 'Fake model',
    size,
    spawn: fakeWorker,
    ...(chunkSize === undefined ? {} : { chunkSize }),
  });
  pools.push(pool);
  return pool;
};
afterEach(async () => {
  await Promise.all(pools.splice(0).map((pool) => pool.close()));
});

const texts = (n: number) => Array.from({ length: n }, (_, i) => 'x'.repeat(i + 1));

describe('embedding worker pool', () => {
  it('splits a large call across every worker and reassembles the vectors in order', async () => {
    const pool = await startPool(2, 4);
    const vectors = await pool.embed(texts(16), 'document');
    expect(vectors.map((v) => v[0])).toEqual(texts(16).map((t) => t.length));
    expect(new Set(vectors.map((v) => v[1])).size).toBe(2);
  });

  it('sends a small call to one worker as one chunk', async () => {
    const pool = await startPool(2, 4);
    const vectors = await pool.embed(texts(4), 'document');
    expect(new Set(vectors.map((v) => v[1])).size).toBe(1);
  });

  it('serves queued queries before queued document chunks', async () => {
    const pool = await startPool(1);
    const order: string[] = [];
    const busy = pool.embed(['slow'], 'document').then(() => order.push('slow'));
    const documents = pool.embed(['document'], 'document').then(() => order.push('document'));
    const query = pool.embed(['query'], 'query').then(() => order.push('query'));
    await Promise.all([busy, documents, query]);
    expect(order).toEqual(['slow', 'query', 'document']);
  });

  it('rejects only the call whose texts the worker reports it cannot embed', async () => {
    const pool = await startPool(1);
    const failing = pool.embed(['fail'], 'document');
    const fine = pool.embed(['fine'], 'document');
    await expect(failing).rejects.toThrow(/Fake model failed: cannot embed "fail"/);
    expect((await fine)[0]![0]).toBe(4);
  });

  it.each(['exit', 'throw'])('replaces a worker that dies (%s), rejecting the call it was running', async (text) => {
    const pool = await startPool(1);
    const [[, before]] = (await pool.embed(['a'], 'query')) as [[number, number]];
    const dying = pool.embed([text], 'document');
    const queued = pool.embed(['bb'], 'query');
    await expect(dying).rejects.toThrow(/Fake model worker died/);
    const [[length, after]] = (await queued) as [[number, number]];
    expect(length).toBe(2);
    expect(after).not.toBe(before);
  });

  it('fails a whole call when one of its chunks fails, and keeps serving', async () => {
    const pool = await startPool(2, 2);
    await expect(pool.embed(['a', 'b', 'c', 'fail', 'd', 'e'], 'document')).rejects.toThrow(/cannot embed/);
    expect((await pool.embed(['a', 'b', 'c'], 'document')).map((v) => v[0])).toEqual([1, 1, 1]);
  });

  it('refuses to start when a worker cannot load its model', async () => {
    await expect(
      startEmbeddingWorkerPool({
        label: 'Broken model',
        size: 2,
        spawn: () => new Worker('throw new Error("no weights")', { eval: true }),
      }),
    ).rejects.toThrow(/Broken model worker did not start: no weights/);
  });

  it('rejects pending and later calls once closed', async () => {
    const pool = await startPool(1);
    const busy = expect(pool.embed(['slow'], 'document')).rejects.toThrow(/closed/);
    const queued = expect(pool.embed(['queued'], 'document')).rejects.toThrow(/closed/);
    await pool.close();
    await busy;
    await queued;
    await expect(pool.embed(['later'], 'query')).rejects.toThrow(/Fake model is closed/);
  });

  it('refuses a worker count that is not a positive integer', async () => {
    await expect(startPool(0)).rejects.toThrow(/positive integer/);
  });
});
