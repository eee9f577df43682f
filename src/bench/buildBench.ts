/**
 * The model builder (`models convert`) on synthetic checkpoints with real models' shapes, and the
 * graph it builds, on this machine:
 * - a 0.5B-shaped BF16 checkpoint (Qwen2.5-Coder-0.5B / Open-dCoder: hidden 896, 24 layers, 14/2
 *   heads, MLP 4864, vocab 151,936, tied) to int4: wall time and peak RSS;
 * - a 7B-shaped one (Qwen2.5-7B / Dream / DiffuCoder) to int4: peak RSS (its weights are zeros in a
 *   sparse file: the values do not change the builder's memory);
 * - the built 0.5B graph: a step over the context cache at ~1,000 tokens of context against one at
 *   ~128, and against a full pass at ~1,000; the step's GFLOP/s beside onnxruntime's MatMulNBits
 *   alone at the same shapes.
 * usage: node dist/buildBench.js [--work DIR] [--repeats N] [--no-7b]
 * Each conversion runs in a child process that reports its own VmHWM (peak resident memory).
 */
import { fork } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { parseArgs } from 'node:util';
import * as ort from 'onnxruntime-node';
import { convertCheckpoint } from '../convert/convert';
import { Arch, expectedShapes } from '../convert/layout';
import { layoutOf } from '../convert/layouts';
import { configOf, SHAPES, writeCheckpoint } from './syntheticCheckpoint';
import { Graph } from '../convert/onnxGraph';
import { lazyTensors } from '../convert/safetensors';
import { WeightWriter } from '../convert/weights';

/** This process's peak resident memory, in bytes (VmHWM: reset when a process starts, unlike getrusage's maxrss, which a child inherits). */
function peakRss(): number {
  const m = /VmHWM:\s+(\d+) kB/.exec(fs.readFileSync('/proc/self/status', 'utf8'));
  return m ? Number(m[1]) * 1024 : process.resourceUsage().maxRSS * 1024;
}

/** Converts in a child process; resolves with its wall seconds and peak RSS. */
function convertInChild(ck: string, out: string): Promise<{ seconds: number; rss: number }> {
  return new Promise((resolve, reject) => {
    const child = fork(__filename, ['--child', ck, out], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    child.on('message', (m) => resolve(m as { seconds: number; rss: number }));
    child.on('exit', (code) => code && reject(new Error(`conversion of ${ck} exited ${code}`)));
  });
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

const int64 = (data: number[], dims: number[]) => new ort.Tensor('int64', BigInt64Array.from(data, BigInt), dims);

/** The feeds of a full pass over `s` tokens and of a step over its cache with `q` positions run. */
async function stepFeeds(session: ort.InferenceSession, cfg: { onnx: { cache: { layers: number; kvHeads: number; headDim: number } } }, s: number, q: number) {
  const cache = cfg.onnx.cache;
  const layers = Array.from({ length: cache.layers }, (_, l) => l);
  const ids = Array.from({ length: s }, (_, i) => (i * 7919) % 1000);
  const rows = Array.from({ length: q }, (_, i) => Math.floor(s / 2) - 1 + i);
  const empty = new ort.Tensor('float32', new Float32Array(0), [1, cache.kvHeads, 0, cache.headDim]);
  const full = {
    input_ids: int64(ids, [1, s]),
    position_ids: int64(
      ids.map((_, i) => i),
      [1, s],
    ),
    attention_mask: int64(
      ids.map(() => 1),
      [1, s],
    ),
    logit_positions: int64(rows, [1, q]),
    ...Object.fromEntries(layers.flatMap((l) => [`past_key.${l}`, `past_value.${l}`].map((n) => [n, empty]))),
  };
  const out = await session.run(full);
  const step = {
    input_ids: int64(
      rows.map((p) => ids[p]),
      [1, q],
    ),
    position_ids: int64(rows, [1, q]),
    attention_mask: int64([...ids.map((_, p) => (rows.includes(p) ? 0 : 1)), ...rows.map(() => 1)], [1, s + q]),
    logit_positions: int64(
      rows.map((_, i) => i),
      [1, q],
    ),
    ...Object.fromEntries(
      layers.flatMap((l) => [[`past_key.${l}`, out[`present_key.${l}`]] as const, [`past_value.${l}`, out[`present_value.${l}`]] as const]),
    ),
  };
  return { full, step };
}

/** Times each feed in turn, round by round, so a change in the machine's load falls on all of them. */
async function inTurn(session: ort.InferenceSession, feeds: Record<string, Record<string, ort.Tensor>>, repeats: number): Promise<Record<string, number>> {
  const times: Record<string, number[]> = Object.fromEntries(Object.keys(feeds).map((k) => [k, []]));
  for (const f of Object.values(feeds)) await session.run(f); // warm-up
  for (let r = 0; r < repeats; r++) {
    for (const [k, f] of Object.entries(feeds)) {
      const t = performance.now();
      await session.run(f);
      times[k].push(performance.now() - t);
    }
  }
  return Object.fromEntries(Object.entries(times).map(([k, v]) => [k, median(v)]));
}

/** The weight MatMulNBits of a step (every layer's projections and the output layer), alone, over `q` rows: the kernel's own speed at those shapes. */
async function matmulsAlone(ck: string, dir: string, arch: Arch, q: number): Promise<{ session: ort.InferenceSession; flops: number }> {
  const g = new Graph(path.join(dir, 'matmuls.onnx.data'), 'matmuls.onnx.data');
  const w = new WeightWriter(g, lazyTensors(ck), 'int4', 32, 0);
  const inputs: Record<number, string> = {};
  const input = (k: number) => (inputs[k] ??= g.input(`x${k}`, 'float32', [1, q, k]));
  let flops = 0;
  let n = 0;
  for (const [name, dims] of expectedShapes(arch)) {
    if (dims.length !== 2 || name === arch.names.embed) continue;
    g.output(w.matmul(input(dims[1]), name), `y${n++}`, 'float32', [1, q, dims[0]]);
    flops += 2 * q * dims[0] * dims[1];
  }
  g.output(w.matmul(input(arch.hidden), arch.names.embed), `y${n++}`, 'float32', [1, q, arch.vocab]);
  flops += 2 * q * arch.vocab * arch.hidden;
  g.save(path.join(dir, 'matmuls.onnx'), {}, 'bench');
  const session = await ort.InferenceSession.create(path.join(dir, 'matmuls.onnx'), {
    intraOpNumThreads: os.availableParallelism(),
    graphOptimizationLevel: 'all',
  });
  return { session, flops };
}

/** A cached step's FLOPs: the projections and the output layer over q rows, and attention over s + q keys. */
function stepFlops(a: Arch, q: number, keys: number): number {
  const hd = a.headDim;
  const proj = a.hidden * a.heads * hd * 2 + a.hidden * a.kvHeads * hd * 2 + 3 * a.hidden * a.inter;
  return 2 * q * (a.layers * proj + a.hidden * a.vocab) + a.layers * 2 * 2 * q * a.heads * hd * keys;
}

async function main() {
  const { values } = parseArgs({
    options: { work: { type: 'string' }, repeats: { type: 'string' }, 'no-7b': { type: 'boolean' }, child: { type: 'boolean' } },
    allowPositionals: true,
    strict: false,
  });
  if (values.child) {
    const [ck, out] = process.argv.slice(-2);
    const t = performance.now();
    convertCheckpoint(ck, out, { precision: 'int4', blockSize: 32, cache: true, special: {}, overwrite: true });
    process.send!({ seconds: (performance.now() - t) / 1000, rss: peakRss() });
    return;
  }
  const work = (values.work as string | undefined) ?? path.join(process.cwd(), 'models', '.bench', 'build');
  const repeats = Number(values.repeats ?? 7);
  const gb = (b: number) => (b / 2 ** 30).toFixed(2);
  const ck = path.join(work, 'ck-0.5b');
  writeCheckpoint(ck, SHAPES['0.5b'], false);
  const out = path.join(work, 'out-0.5b-int4');
  const small = await convertInChild(ck, out);
  console.log(`build 0.5B-shaped BF16 -> int4: ${small.seconds.toFixed(1)} s wall, peak RSS ${gb(small.rss)} GiB`);
  if (!values['no-7b']) {
    const big = path.join(work, 'ck-7b');
    writeCheckpoint(big, SHAPES['7b'], true);
    const r = await convertInChild(big, path.join(work, 'out-7b-int4'));
    fs.rmSync(path.join(work, 'out-7b-int4'), { recursive: true, force: true });
    console.log(`build 7B-shaped -> int4: ${r.seconds.toFixed(0)} s wall, peak RSS ${gb(r.rss)} GiB (goal <= 1 GB)`);
  }

  const cfg = JSON.parse(fs.readFileSync(path.join(out, 'model.json'), 'utf8'));
  const arch = layoutOf(configOf(SHAPES['0.5b'])).arch(configOf(SHAPES['0.5b']));
  const session = await ort.InferenceSession.create(path.join(out, 'model.onnx'), {
    intraOpNumThreads: os.availableParallelism(),
    graphOptimizationLevel: 'all',
  });
  const q = 32;
  const long = await stepFeeds(session, cfg, 1024, q);
  const short = await stepFeeds(session, cfg, 128, q);
  const t = await inTurn(session, { full1024: long.full, step1024: long.step, step128: short.step }, repeats);
  const alone = await matmulsAlone(ck, work, arch, q);
  const x = { x0: new ort.Tensor('float32', new Float32Array(q * arch.hidden), [1, q, arch.hidden]) } as Record<string, ort.Tensor>;
  for (const k of [arch.heads * arch.headDim, arch.inter]) x[`x${k}`] = new ort.Tensor('float32', new Float32Array(q * k), [1, q, k]);
  const feeds = Object.fromEntries(alone.session.inputNames.map((n) => [n, x[n] ?? x.x0]));
  const mm = (await inTurn(alone.session, { mm: feeds }, repeats)).mm;
  const gflops = (f: number, ms: number) => f / ms / 1e6;
  console.log(
    `0.5B int4 graph: full pass at 1024 ${t.full1024.toFixed(0)} ms; step over the cache (${q} run) at 1024 ${t.step1024.toFixed(1)} ms, at 128 ${t.step128.toFixed(1)} ms`,
  );
  console.log(`ratio: step at ~1,000 / at ~128 tokens of context: ${(t.step1024 / t.step128).toFixed(2)} (goal <= 1.5)`);
  console.log(`ratio: full pass / step over the cache at ~1,000: ${(t.full1024 / t.step1024).toFixed(1)} (goal >= 6)`);
  console.log(
    `cached step at 1024: ${gflops(stepFlops(arch, q, 1024 + q), t.step1024).toFixed(1)} GFLOP/s; MatMulNBits alone at the same shapes: ` +
      `${gflops(alone.flops, mm).toFixed(1)} GFLOP/s (ratio ${(gflops(stepFlops(arch, q, 1024 + q), t.step1024) / gflops(alone.flops, mm)).toFixed(2)})`,
  );
  await session.release();
  await alone.session.release();
}

main().catch((e) => {
  console.error(e);
  process.exitCode = 1;
});
