// Entry of a benchmark worker thread written in TypeScript: Node 20 does not pass tsx's loader to
// worker threads, so it is registered here before the module named in workerData.entry loads.
import { workerData } from 'node:worker_threads';
import { register } from 'tsx/esm/api';

register();
await import(/** @type {{ entry: string }} */ (workerData).entry);
