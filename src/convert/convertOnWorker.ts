import * as path from 'node:path';
import { Worker } from 'node:worker_threads';
import { ConvertOptions } from './convert';
import { ConvertError } from './convertError';

/**
 * convertCheckpoint on a worker thread (dist/convertWorker.js, beside this bundle): the same
 * folder, the caller's thread free.  Aborting ends the thread; the builder leaves no folder behind
 * (its partial folder goes with the next build of the same folder).
 */
export function convertOnWorker(hfDir: string, outDir: string, options: ConvertOptions, signal?: AbortSignal): Promise<void> {
  const { onProgress, ...plain } = options;
  return new Promise((resolve, reject) => {
    const worker = new Worker(path.join(__dirname, 'convertWorker.js'), { workerData: { hfDir, outDir, options: plain } });
    const abort = () => {
      void worker.terminate();
      reject(new ConvertError('conversion cancelled'));
    };
    signal?.addEventListener('abort', abort, { once: true });
    const settle = () => signal?.removeEventListener('abort', abort);
    worker.on('message', (m: { kind: string; done: number; total: number; tensor: string; message: string; expected: boolean }) => {
      if (m.kind === 'progress') onProgress?.(m.done, m.total, m.tensor);
      else if (m.kind === 'done') {
        settle();
        resolve();
      } else {
        settle();
        reject(m.expected ? new ConvertError(m.message) : new Error(m.message));
      }
    });
    worker.on('error', (e) => {
      settle();
      reject(e);
    });
  });
}
