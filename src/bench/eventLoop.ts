/**
 * How long the event loop stalls while the engine works: onnxruntime-node in the calling thread
 * (the baseline) against the engine's worker thread, for the forward alone and for a whole step
 * (forward and sampler).  In the extension host a stall delays every extension, so this is the
 * figure that matters there, more than the step's own time.
 */
import { LogitsModel, readModelConfig, resolveSampler } from '../core';
import { OnnxLogitsModel } from '../core/onnxModel';
import { proposeWith } from '../core/sampling/propose';
import { ProposeRequest } from '../core/logitsModel';
import { WorkerLogitsModel } from '../core/workerLogitsModel';

async function stall(work: () => Promise<unknown>, repeats: number): Promise<{ ms: number; stallMs: number }> {
  await work(); // warm-up
  let last = performance.now();
  let longest = 0;
  const timer = setInterval(() => {
    const now = performance.now();
    longest = Math.max(longest, now - last);
    last = now;
  }, 1);
  const t0 = performance.now();
  for (let r = 0; r < repeats; r++) await work();
  const ms = (performance.now() - t0) / repeats;
  clearInterval(timer);
  return { ms, stallMs: longest };
}

/** The network as the engine would see it if it could not sample on its own thread. */
function logitsOnly(network: LogitsModel): LogitsModel {
  return { vocabSize: network.vocabSize, logits: (ids, rows) => network.logits(ids, rows), dispose: () => network.dispose() };
}

export async function benchEventLoop(dir: string, repeats: number): Promise<void> {
  const config = readModelConfig(dir);
  const size = Math.min(256, config.maxContext);
  const ids = Int32Array.from({ length: size }, (_, i) => (i * 7919) % Math.min(256, config.vocabSize));
  const masked = Array.from({ length: size >> 2 }, (_, k) => (size >> 1) + k);
  // DiffuCoder's suggested sampler: top-p is the costly part.
  const request: ProposeRequest = {
    sampler: resolveSampler({ alg: 'entropy', temperature: 0.3, topP: 0.95 }),
    queries: masked.map((p, k) => ({ row: p - 1, allowed: null, seed: k })),
  };
  const rows = masked.map((p) => p - 1);
  console.log(
    `event-loop stall (canvas ${size}, ${masked.length} masked, vocab ${config.vocabSize}, ${repeats} repeats; a step samples with temperature 0.3, top-p 0.95):`,
  );
  console.log('what runs where                                     ms  longest stall ms');
  const rowsOut: [string, number][] = [];
  const report = (name: string, r: { ms: number; stallMs: number }) => {
    rowsOut.push([name, r.stallMs]);
    console.log(`${name.padEnd(46)} ${r.ms.toFixed(1).padStart(6)}  ${r.stallMs.toFixed(1).padStart(16)}`);
  };
  const inThread = await OnnxLogitsModel.load(dir, config);
  report('forward, calling thread', await stall(() => inThread.logits(ids, rows), repeats));
  await inThread.dispose();
  const worker = await WorkerLogitsModel.load(dir, config);
  report('forward, worker thread', await stall(() => worker.logits(ids, rows), repeats));
  report('step, worker forward + calling-thread sampler', await stall(() => proposeWith(logitsOnly(worker), ids, request), repeats));
  report('step, forward and sampler on the worker', await stall(() => proposeWith(worker, ids, request), repeats));
  await worker.dispose();
  const [callingForward, workerForward, callerSampler, workerStep] = rowsOut.map(([, s]) => s);
  console.log(`forward on the worker / calling thread: ${(workerForward / callingForward).toFixed(2)} of the stall`);
  console.log(`step with the sampler on the worker / on the calling thread: ${(workerStep / callerSampler).toFixed(2)} of the stall`);
}
