// One thread of the sampler pool (samplerPool.ts): proposals for its share of a step's positions.
import { parentPort } from 'node:worker_threads';
import { proposeFromLogits } from './sampling/propose';
import type { SamplerTask } from './samplerPool';

parentPort!.on('message', (task: SamplerTask) => {
  parentPort!.postMessage({ id: task.id, proposals: proposeFromLogits(task.logits, task.vocab, task.request, task.rows) });
});
