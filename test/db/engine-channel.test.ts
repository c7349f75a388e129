import { once } from 'node:events';
import { MessageChannel, Worker } from 'node:worker_threads';
import { describe, expect, it } from 'vitest';
import { EngineChannel } from '../../src/db/embedded/engine-channel.js';
import { isDatabaseUnavailable } from '../../src/db/postgres-errors.js';

describe('the channel to the embedded engine', () => {
  // engine.close() shuts the channel down itself; a thread that dies (a WASM abort, process.exit
  // in the worker) only closes its end of the port.
  it('fails its open connections as unavailable, and refuses new ones, when the engine thread ends without closing', async () => {
    const { port1, port2 } = new MessageChannel();
    const worker = new Worker(
      `const { workerData, parentPort } = require('node:worker_threads');
       workerData.port.on('message', () => {});
       parentPort.on('message', () => process.exit(3));`,
      { eval: true, workerData: { port: port2 }, transferList: [port2] },
    );
    const channel = new EngineChannel(port1);
    const open = channel.stream() as unknown as { connect(): void } & NodeJS.EventEmitter;
    open.connect();
    await once(open, 'connect');
    const failed = once(open, 'error');
    worker.postMessage('die');
    const [error] = await failed;
    expect(isDatabaseUnavailable(error), String(error)).toBe(true);

    const late = channel.stream() as unknown as { connect(): void } & NodeJS.EventEmitter;
    late.connect();
    const [refused] = await once(late, 'error');
    expect(isDatabaseUnavailable(refused), String(refused)).toBe(true);
  });
});
