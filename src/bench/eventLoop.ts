/**
 * How long the event loop stalls while forwards run: onnxruntime-node in the calling thread (the
 * baseline) against the engine's worker thread.  In the extension host a stall delays every
 * extension, so this is the figure that matters there, more than the forward's own time.
 */
import { LogitsModel, readModelConfig } from '../core';
import { OnnxLogitsModel } from '../core/onnxModel';
import { WorkerLogitsModel } from '../core/workerLogitsModel';

async function stall(network: LogitsModel, ids: Int32Array, rows: number[], repeats: number): Promise<{ forwardMs: number; stallMs: number }> {
  await network.logits(ids, rows); // warm-up
  let last = performance.now();
  let longest = 0;
  const timer = setInterval(() => {
    const now = performance.now();
    longest = Math.max(longest, now - last);
    last = now;
  }, 1);
  const t0 = performance.now();
  for (let r = 0; r < repeats; r++) await network.logits(ids, rows);
  const forwardMs = (performance.now() - t0) / repeats;
  clearInterval(timer);
  return { forwardMs, stallMs: longest };
}

export async function benchEventLoop(dir: string, repeats: number): Promise<void> {
  const config = readModelConfig(dir);
  const size = Math.min(256, config.maxContext);
  const ids = Int32Array.from({ length: size }, (_, i) => (i * 7919) % Math.min(256, config.vocabSize));
  const rows = Array.from({ length: size >> 2 }, (_, k) => (size >> 1) + k - 1);
  console.log(`event-loop stall during forwards (canvas ${size}, ${rows.length} rows, ${repeats} forwards):`);
  console.log('where the forward runs   forward ms  longest stall ms');
  const results: number[] = [];
  for (const [name, open] of [
    ['calling thread', () => OnnxLogitsModel.load(dir, config)],
    ['worker thread', () => WorkerLogitsModel.load(dir, config)],
  ] as const) {
    const network = await open();
    const { forwardMs, stallMs } = await stall(network, ids, rows, repeats);
    await network.dispose();
    results.push(stallMs);
    console.log(`${name.padEnd(22)} ${forwardMs.toFixed(1).padStart(10)}  ${stallMs.toFixed(1).padStart(16)}`);
  }
  console.log(`worker / calling thread: ${(results[1] / results[0]).toFixed(2)} of the stall`);
}
