// Times a built model folder's forward on this machine, as the engine runs it (onnxruntime-node, CPU,
// one thread a core, all graph optimizations): a full pass over S tokens, and a step over the
// context cache (q positions run, the full pass's keys and values as the past).
//
//   node tools/model/bench_forward.mjs MODEL_DIR [--seq 256,1024] [--q 32] [--rows 20] [--repeat 3]
//
// Prints one line per length: load time, resident memory after load, and the median of --repeat
// runs of each pass, wall and CPU time.  Needs a graph with onnx.cache (build_onnx.py's default).
import { createRequire } from 'node:module';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

const require = createRequire(import.meta.url);
const ort = require('onnxruntime-node');

const args = process.argv.slice(2);
const opt = (name, dflt) => {
  const i = args.indexOf(name);
  return i >= 0 ? args.splice(i, 2)[1] : dflt;
};
const seqs = opt('--seq', '256,1024').split(',').map(Number);
const q = Number(opt('--q', '32'));
const rowsN = Number(opt('--rows', '20'));
const repeat = Number(opt('--repeat', '3'));
const dir = args[0];
const cfg = JSON.parse(fs.readFileSync(path.join(dir, 'model.json'), 'utf8'));
const { inputs, cache } = cfg.onnx;
if (!cache) throw new Error(`${dir}: no onnx.cache in model.json; build it without --no-cache`);

const t0 = performance.now();
const session = await ort.InferenceSession.create(path.join(dir, cfg.onnx.file), {
  executionProviders: ['cpu'],
  intraOpNumThreads: os.availableParallelism(),
  graphOptimizationLevel: 'all',
});
const loadS = (performance.now() - t0) / 1000;
const rssGB = process.memoryUsage().rss / 1e9;
const int64 = (data, dims) => new ort.Tensor('int64', BigInt64Array.from(data, BigInt), dims);
const names = (key) => Array.from({ length: cache.layers }, (_, l) => cache[key].replace('{layer}', String(l)));
const median = (xs) => xs.sort((a, b) => a - b)[Math.floor(xs.length / 2)];
// Wall time, and this process's CPU time (user + system), which a machine shared with other work
// stretches less: on an idle machine the wall time is about the CPU time over the cores used.
const timed = async (feeds) => {
  const ts = [];
  const cpus = [];
  let out;
  for (let r = 0; r < repeat; r++) {
    const t = performance.now();
    const c = process.cpuUsage();
    out = await session.run(feeds);
    const used = process.cpuUsage(c);
    ts.push(performance.now() - t);
    cpus.push((used.user + used.system) / 1000);
  }
  return [median(ts), median(cpus), out];
};

for (const s of seqs) {
  const ids = Array.from({ length: s }, (_, i) => (i * 7919) % 1000);
  const rows = Array.from({ length: rowsN }, (_, i) => Math.floor(s / 2) + i);
  const empty = new ort.Tensor('float32', new Float32Array(0), [1, cache.kvHeads, 0, cache.headDim]);
  const full = {
    [inputs.inputIds]: int64(ids, [1, s]),
    [inputs.positionIds]: int64(ids.map((_, i) => i), [1, s]),
    [inputs.attentionMask]: int64(ids.map(() => 1), [1, s]),
    [inputs.logitPositions]: int64(rows, [1, rowsN]),
    ...Object.fromEntries([...names('pastKey'), ...names('pastValue')].map((n) => [n, empty])),
  };
  await session.run(full); // warm-up
  const [fullMs, fullCpu, out] = await timed(full);
  const run = Array.from({ length: q }, (_, i) => Math.floor(s / 2) - 1 + i);
  const step = {
    [inputs.inputIds]: int64(run.map((p) => ids[p]), [1, q]),
    [inputs.positionIds]: int64(run, [1, q]),
    [inputs.attentionMask]: int64([...ids.map((_, p) => (run.includes(p) ? 0 : 1)), ...run.map(() => 1)], [1, s + q]),
    [inputs.logitPositions]: int64(rows.map((r) => r - run[0]), [1, rowsN]),
    ...Object.fromEntries(names('pastKey').map((n, l) => [n, out[names('presentKey')[l]]])),
    ...Object.fromEntries(names('pastValue').map((n, l) => [n, out[names('presentValue')[l]]])),
  };
  const [stepMs, stepCpu] = await timed(step);
  console.log(
    `${cfg.name} ${cfg.precision}: load ${loadS.toFixed(1)} s, RSS ${rssGB.toFixed(2)} GB; ${s} tokens: ` +
      `full pass ${fullMs.toFixed(0)} ms (CPU ${fullCpu.toFixed(0)} ms), cached step (${q} run) ${stepMs.toFixed(0)} ms (CPU ${stepCpu.toFixed(0)} ms)`,
  );
}
