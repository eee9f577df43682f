// The builder on its own thread (convertOnWorker.ts), so that a long conversion never stalls the
// extension host: progress and the result go back as messages.
import { parentPort, workerData } from 'node:worker_threads';
import { convertCheckpoint, ConvertOptions } from './convert';
import { ConvertError } from './convertError';

const { hfDir, outDir, options } = workerData as { hfDir: string; outDir: string; options: ConvertOptions };
try {
  convertCheckpoint(hfDir, outDir, { ...options, onProgress: (done, total, tensor) => parentPort!.postMessage({ kind: 'progress', done, total, tensor }) });
  parentPort!.postMessage({ kind: 'done' });
} catch (e) {
  parentPort!.postMessage({ kind: 'error', message: (e as Error).message, expected: e instanceof ConvertError });
}
