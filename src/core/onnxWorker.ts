// The worker thread, or child process, that owns the onnxruntime session (see workerLogitsModel.ts,
// modelChannel.ts): onnxruntime-node runs a forward synchronously on the calling thread, which must
// not be the extension host's.
import { parentPort, workerData } from 'node:worker_threads';
import { CHILD_DATA_VARIABLE } from './modelChannel';
import { InfillError } from './errors';
import { ModelConfig } from './modelConfig';
import { OnnxLogitsModel } from './onnxModel';
import { RuntimeOptions } from './runtimeOptions';
import { SamplerPool } from './samplerPool';
import type { FromWorker, ToWorker } from './modelChannel';

const inChild = parentPort === null;
const { dir, config, options } = (inChild ? JSON.parse(process.env[CHILD_DATA_VARIABLE] ?? '{}') : workerData) as {
  dir: string;
  config: ModelConfig;
  options: Omit<RuntimeOptions, 'log'>;
};
const pool = new SamplerPool(options.samplerThreads ?? SamplerPool.defaultThreads());
const send = (message: FromWorker, transfer: ArrayBuffer[] = []) => (inChild ? process.send!(message) : parentPort!.postMessage(message, transfer));
const onMessage = (listener: (message: ToWorker) => void) => (inChild ? process.on('message', listener) : parentPort!.on('message', listener));
const close = () => (inChild ? process.exit(0) : parentPort!.close());
// A child whose host is gone (the editor quit or crashed) has no one to answer.
if (inChild) process.on('disconnect', () => process.exit(0));

OnnxLogitsModel.load(dir, config, { ...options, log: (message) => send({ kind: 'log', message }) }).then(
  (model) => {
    send({ kind: 'ready', executionProvider: model.executionProvider });
    onMessage(async (message: ToWorker) => {
      if (message.kind === 'dispose') {
        await Promise.all([model.dispose(), pool.dispose()]);
        close();
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
          send(
            { kind: 'answer', id: message.id, answer: out },
            out.map((o) => o.buffer as ArrayBuffer),
          );
        }
      } catch (e) {
        send({ kind: 'failed', id: message.id, message: (e as Error).message, infill: e instanceof InfillError });
      }
    });
  },
  (e: Error) => send({ kind: 'failed', id: null, message: e.message, infill: e instanceof InfillError }),
);
