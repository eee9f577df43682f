/**
 * Where a step's time goes: the forward pass against the sampler's work, for a few canvas sizes.
 * First the ratios (ratios.ts), then the older per-size figures.
 * usage: node dist/bench.js [--model DIR] [--repeats N] [--sizes 64,128] [--hole-cases N] [--heldout SINGLE,MULTI] [--ratios-only]
 *          [--length-search SINGLE,MULTI] [--length-search-cost N] [--length-search-only] [--length-search-validation SINGLE,MULTI]
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { parseArgs } from 'node:util';
import { bundledModelDir, loadModelFolder, resolveSampler } from '../core';
import { SamplerPool } from '../core/samplerPool';
import { keepTopP, proposeDream, proposeFromLogits } from '../core/sampling/propose';
import { ProposeRequest } from '../core/logitsModel';
import { seededRng } from '../core/sampling/rng';
import { topByScore } from '../core/sampling/select';
import { benchEventLoop } from './eventLoop';
import { benchHoleEnds } from './holeEnds';
import { benchLengthSearch, validateLengthSearch } from './lengthSearch';
import { benchRatios } from './ratios';

async function main() {
  const { values } = parseArgs({
    options: {
      model: { type: 'string' },
      repeats: { type: 'string' },
      sizes: { type: 'string' },
      'hole-cases': { type: 'string' },
      heldout: { type: 'string' },
      'ratios-only': { type: 'boolean' },
      'length-search': { type: 'string' },
      'length-search-cost': { type: 'string' },
      'length-search-only': { type: 'boolean' },
      'length-search-validation': { type: 'string' },
    },
  });
  const dir = values.model ?? bundledModelDir();
  const repeats = Number(values.repeats ?? 10);
  const [single, multi] = (values.heldout ?? '100,50').split(',').map(Number);
  if (values['length-search-validation']) {
    const [s, m] = values['length-search-validation'].split(',').map(Number);
    await validateLengthSearch(s, m);
    return;
  }
  const [searchSingle, searchMulti] = (values['length-search'] ?? '100,50').split(',').map(Number);
  const lengthSearch = () => benchLengthSearch(searchSingle, searchMulti, Number(values['length-search-cost'] ?? 4));
  if (values['length-search-only']) return lengthSearch();
  await benchRatios(repeats, { single, multi });
  if (searchSingle + searchMulti > 0) await lengthSearch();
  if (values['ratios-only']) return;
  const model = await loadModelFolder(dir);
  const { config, network } = model;
  const sizes = (values.sizes ?? '64,128,256,512,1024')
    .split(',')
    .map(Number)
    .filter((n) => n <= config.maxContext);
  const sampler = resolveSampler({ alg: 'entropy' });
  console.log(`model ${config.name} (${dir}), vocab ${config.vocabSize}, ${model.executionProvider}, ${repeats} repeats; a quarter of each canvas masked`);
  console.log('canvas  masked  forward ms  sampler ms  sampler/forward');
  for (const size of sizes) {
    const ids = Int32Array.from({ length: size }, (_, i) => (i * 7919) % Math.min(256, config.vocabSize));
    const masked = Array.from({ length: Math.max(1, size >> 2) }, (_, k) => (size >> 1) - (size >> 3) + k);
    for (const p of masked) ids[p] = config.maskTokenId;
    const rows = masked.map((p) => p - 1);
    await network.logits(ids, rows); // warm-up
    let forwardMs = 0;
    let samplerMs = 0;
    const rng = seededRng(1);
    for (let r = 0; r < repeats; r++) {
      const t0 = performance.now();
      const logits = await network.logits(ids, rows);
      const t1 = performance.now();
      const proposals = rows.map((_, i) => proposeDream(logits.subarray(i * config.vocabSize, (i + 1) * config.vocabSize), 'entropy', sampler, rng));
      topByScore(proposals, Math.ceil(proposals.length / 8));
      const t2 = performance.now();
      forwardMs += t1 - t0;
      samplerMs += t2 - t1;
    }
    const f = forwardMs / repeats;
    const s = samplerMs / repeats;
    console.log(
      `${String(size).padStart(6)}  ${String(masked.length).padStart(6)}  ${f.toFixed(2).padStart(10)}  ${s.toFixed(2).padStart(10)}  ${(s / f).toFixed(3).padStart(15)}`,
    );
  }
  const data = path.resolve(__dirname, '..', '..', 'shared', 'data', 'humaneval-infilling', 'HumanEval-SingleLineInfilling.jsonl.gz');
  if (fs.existsSync(data)) await benchHoleEnds(model, data, Number(values['hole-cases'] ?? 20));
  else console.log(`(no ${data}: end-token comparison skipped)`);
  await network.dispose();
  await benchEventLoop(dir, repeats);
  samplerAtQwenVocab();
  await samplerPoolAtQwenVocab();
}

/**
 * The sampler's cost does not depend on the network, only on the vocabulary: measure it at the
 * Qwen2.5 vocabulary of DiffuCoder and Dream with DiffuCoder's suggested settings.
 */
function samplerAtQwenVocab() {
  const vocab = 151936;
  const rng = seededRng(2);
  // A peaked row (one token far ahead) and a flat one (an unsure position): top-p's cost depends on it.
  const shapes = {
    peaked: Array.from({ length: 8 }, () => {
      const row = Float32Array.from({ length: vocab }, () => rng() * 6 - 3);
      row[Math.floor(rng() * vocab)] = 12;
      return row;
    }),
    flat: Array.from({ length: 8 }, () => Float32Array.from({ length: vocab }, () => rng() * 6 - 3)),
  };
  const perRow = <Row>(rows: Row[], run: (row: Row) => void) => {
    run(rows[0]); // warm-up
    const t0 = performance.now();
    for (const row of rows) run(row);
    return ((performance.now() - t0) / rows.length).toFixed(2);
  };
  console.log(`sampler at vocab ${vocab}, ms per masked position (peaked row / flat row):`);
  for (const settings of [{ temperature: 0 }, { temperature: 0.4, topP: 0.95 }, { temperature: 0.4, topP: 0.95, topK: 50 }]) {
    const s = resolveSampler({ alg: 'entropy', ...settings });
    const [peaked, flat] = [shapes.peaked, shapes.flat].map((rows) => perRow(rows, (row) => proposeDream(row, 'entropy', s, rng)));
    console.log(`  ${JSON.stringify(settings).padEnd(44)} ${peaked} / ${flat}`);
  }
  // The filters alone, on rows already divided by the temperature (each run filters a fresh copy).
  const scaled = [shapes.peaked, shapes.flat].map((rows) => rows.map((row) => Float64Array.from(row, (x) => x / 0.4)));
  for (const [name, filter] of [
    ['top-p filter alone, buckets', keepTopP],
    ['top-p filter alone, sorted (the baseline)', topPBySorting],
  ] as const) {
    const [peaked, flat] = scaled.map((rows) => perRow(rows, (row) => filter(row.slice(), 0.95)));
    console.log(`  ${name.padEnd(44)} ${peaked} / ${flat}`);
  }
}

/**
 * The top-p filter this replaced, the baseline: softmax, then sort the tokens above 1e-7 of
 * probability, or the whole row when their mass does not reach p (so a flat row sorted it all).
 */
function topPBySorting(logits: Float64Array, p: number): void {
  let max = -Infinity;
  for (let v = 0; v < logits.length; v++) if (logits[v] > max) max = logits[v];
  const probs = new Float64Array(logits.length);
  let z = 0;
  for (let v = 0; v < logits.length; v++) z += probs[v] = Math.exp(logits[v] - max);
  for (let v = 0; v < logits.length; v++) probs[v] /= z;
  const byProbability = (floor: number) => {
    const order: number[] = [];
    for (let v = 0; v < probs.length; v++) if (probs[v] > floor || floor === 0) order.push(v);
    return order.sort((a, b) => probs[b] - probs[a] || a - b);
  };
  let order = byProbability(1e-7);
  if (order.reduce((a, v) => a + probs[v], 0) <= p) order = byProbability(0);
  const kept = new Uint8Array(logits.length);
  let cumulative = 0;
  for (const v of order) {
    if (cumulative > p) break;
    kept[v] = 1;
    cumulative += probs[v];
  }
  for (let v = 0; v < logits.length; v++) if (!kept[v]) logits[v] = -Infinity;
}

/** A step's sampling at the Qwen2.5 vocabulary on one thread (the baseline) and shared by the pool. */
async function samplerPoolAtQwenVocab() {
  const vocab = 151936;
  const positions = 32;
  const rng = seededRng(3);
  const logits = Float32Array.from({ length: positions * vocab }, () => rng() * 6 - 3);
  const request: ProposeRequest = {
    sampler: resolveSampler({ alg: 'entropy', temperature: 0.4, topP: 0.95 }),
    queries: Array.from({ length: positions }, (_, k) => ({ row: k, allowed: null, seed: k })),
  };
  const threads = Math.max(1, SamplerPool.defaultThreads());
  const pool = new SamplerPool(threads, 0);
  const time = async (run: () => unknown) => {
    await run(); // warm-up (and the pool's threads start)
    const t0 = performance.now();
    for (let r = 0; r < 3; r++) await run();
    return (performance.now() - t0) / 3;
  };
  const one = await time(() => proposeFromLogits(Float32Array.from(logits), vocab, request));
  const shared = await time(() => pool.propose(Float32Array.from(logits), vocab, request));
  await pool.dispose();
  console.log(`sampler, one step of ${positions} positions at vocab ${vocab} (temperature 0.4, top-p 0.95):`);
  console.log(`  one thread ${one.toFixed(1)} ms; the caller and ${threads} pool thread(s) ${shared.toFixed(1)} ms: ${(shared / one).toFixed(2)} of the time`);
}

main().catch((e) => {
  console.error(e instanceof Error ? e.message : e);
  process.exitCode = 1;
});
