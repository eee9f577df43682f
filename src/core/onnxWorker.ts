// The worker thread that owns the onnxruntime session (see workerLogitsModel.ts): onnxruntime-node
// runs a forward synchronously on the calling thread, which must not be the extension host's.
import { parentPort, workerData } from 'node:worker_threads';
import { InfillError } from './errors';
import { ModelConfig } from './modelConfig';
import { OnnxLogitsModel } from './onnxModel';
import { RuntimeOptions } from './runtimeOptions';
import { SamplerPool } from './samplerPool';
import type { FromWorker, ToWorker } from './workerLogitsModel';

const { dir, config, options } = workerData as { dir: string; config: ModelConfig; options: Omit<RuntimeOptions, 'log'> };
const port = parentPort!;
const pool = new SamplerPool(options.samplerThreads ?? SamplerPool.defaultThreads());
const send = (message: FromWorker, transfer: ArrayBuffer[] = []) => port.postMessage(message, transfer);

OnnxLogitsModel.load(dir, config, { ...options, log: (message) => send({ kind: 'log', message }) }).then(
  (model) => {
    send({ kind: 'ready', executionProvider: model.executionProvider });
    port.on('message', async (message: ToWorker) => {
      if (message.kind === 'dispose') {
        await Promise.all([model.dispose(), pool.dispose()]);
        port.close();
        return;
      }
      if (message.kind === 'forget') {
        model.forget(message.cacheId);
        return;
      }
      try {
        if (message.kind === 'propose') {
          const { batch, requests } = message;
          send({ kind: 'answer', id: message.id, answer: await model.proposeBatch(batch, requests, (l, r) => pool.propose(l, model.vocabSize, r)) });
        } else {
          const out = await model.logitsBatch(message.batch, message.rows);
          send({ kind: 'answer', id: message.id, answer: out }, out.map((o) => o.buffer as ArrayBuffer));
        }
      } catch (e) {
        send({ kind: 'failed', id: message.id, message: (e as Error).message, infill: e instanceof InfillError });
      }
    });
  },
  (e: Error) => send({ kind: 'failed', id: null, message: e.message, infill: e instanceof InfillError }),
);
