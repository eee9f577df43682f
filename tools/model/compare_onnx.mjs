// Runs a model folder with onnxruntime-node on inputs written by a Python test and compares
// the logits with the reference the test computed in torch (onnxruntime has no Python build here).
//
//   node tools/model/compare_onnx.mjs MODEL_DIR CASE_DIR [--tol 1e-3]
//
// CASE_DIR/case.json: { "inputs": {name: {"data": [...ints], "dims": [...]}}, "dims": [b, n, v] }
// CASE_DIR/expected.f32: the reference logits, float32 little-endian.
// A graph with onnx.decide is also checked against its own logits; one with onnx.cache is run a
// second time over the asked rows only, with the first pass's keys and values as the past, and
// must give the same logits (docs/model-folder.md).
import { createRequire } from 'node:module';
import fs from 'node:fs';
import path from 'node:path';

// createRequire so that NODE_PATH works too (ESM imports ignore it).
const require = createRequire(import.meta.url);
const ort = require('onnxruntime-node');

const args = process.argv.slice(2);
const tolIdx = args.indexOf('--tol');
const tol = tolIdx >= 0 ? Number(args.splice(tolIdx, 2)[1]) : 1e-3;
const [modelDir, caseDir] = args;
if (!modelDir || !caseDir) {
  console.error('usage: compare_onnx.mjs MODEL_DIR CASE_DIR [--tol X]');
  process.exit(2);
}

const cfg = JSON.parse(fs.readFileSync(path.join(modelDir, 'model.json'), 'utf8'));
const c = JSON.parse(fs.readFileSync(path.join(caseDir, 'case.json'), 'utf8'));
const buf = fs.readFileSync(path.join(caseDir, 'expected.f32'));
const expected = new Float32Array(buf.buffer, buf.byteOffset, buf.byteLength / 4);

const session = await ort.InferenceSession.create(path.join(modelDir, cfg.onnx.file));
const int64 = (data, dims) => new ort.Tensor('int64', BigInt64Array.from(data.map(BigInt)), dims);
const feeds = {};
for (const [key, name] of Object.entries(cfg.onnx.inputs)) {
  if (name === null) continue;
  const inp = c.inputs[name];
  if (!inp) continue;
  feeds[name] = int64(inp.data, inp.dims);
}
const [b, s] = c.inputs.input_ids.dims;
const { positionIds } = cfg.onnx.inputs;
if (positionIds && !feeds[positionIds]) feeds[positionIds] = int64(Array.from({ length: b * s }, (_, i) => i % s), [b, s]);
const cache = cfg.onnx.cache;
const layerNames = (key) => (cache ? Array.from({ length: cache.layers }, (_, l) => cache[key].replace('{layer}', String(l))) : []);
const past = (p, fill) =>
  Object.fromEntries(
    ['pastKey', 'pastValue'].flatMap((key, kv) =>
      layerNames(key).map((name, l) => [name, fill ? fill[kv][l] : new ort.Tensor('float32', new Float32Array(0), [b, cache.kvHeads, p, cache.headDim])]),
    ),
  );
Object.assign(feeds, past(0));
const results = await session.run(feeds);
const out = results[cfg.onnx.output];
if (out.type !== 'float32') throw new Error(`output type ${out.type}, want float32`);
if (JSON.stringify(out.dims) !== JSON.stringify(c.dims)) {
  console.error(`shape ${JSON.stringify(out.dims)} != expected ${JSON.stringify(c.dims)}`);
  process.exit(1);
}
if (out.dims[out.dims.length - 1] !== cfg.vocabSize) {
  console.error(`logit width ${out.dims[out.dims.length - 1]} != vocabSize ${cfg.vocabSize}`);
  process.exit(1);
}
let maxDiff = 0;
for (let i = 0; i < expected.length; i++) {
  const d = Math.abs(out.data[i] - expected[i]);
  if (!(d <= maxDiff)) maxDiff = d; // NaN counts as a failure
}
let ok = maxDiff <= tol;
console.log(`${path.basename(path.resolve(modelDir))}: shape ${JSON.stringify(out.dims)} max abs diff ${maxDiff.toExponential(3)} (tol ${tol}) ${ok ? 'OK' : 'FAIL'}`);
const vocab = cfg.vocabSize;
const n = out.dims[1];

if (cfg.onnx.decide) {
  // float64 from the graph's own logits, as the engine's sampler computes them.
  const d = cfg.onnx.decide;
  let worst = 0;
  let tokens = 0;
  for (let r = 0; r < b * n; r++) {
    const row = out.data.subarray(r * vocab, (r + 1) * vocab);
    let best = 0;
    for (let v = 1; v < vocab; v++) if (row[v] > row[best]) best = v;
    let second = -Infinity;
    for (let v = 0; v < vocab; v++) if (v !== best && row[v] > second) second = row[v];
    let z = 0;
    let w = 0;
    for (let v = 0; v < vocab; v++) {
      const e = Math.exp(row[v] - row[best]);
      z += e;
      w += e * (row[v] - row[best]);
    }
    if (Number(results[d.token].data[r]) === best) tokens++;
    const want = [1 / z, Math.exp(second - row[best]) / z, Math.log(z) - w / z];
    const got = [results[d.prob].data[r], results[d.secondProb].data[r], results[d.entropy].data[r]];
    for (let k = 0; k < 3; k++) worst = Math.max(worst, Math.abs(want[k] - got[k]) || (want[k] === got[k] ? 0 : Infinity));
  }
  const good = tokens === b * n && worst <= 1e-4;
  ok &&= good;
  console.log(`  decide: ${tokens}/${b * n} tokens are the argmax, max abs diff ${worst.toExponential(3)} ${good ? 'OK' : 'FAIL'}`);
}

if (cache) {
  // Run the asked rows (and each row's neighbour, so that the run set is not just the rows) over the cache.
  const pos = c.inputs.logit_positions;
  const mask = c.inputs.attention_mask?.data ?? new Array(b * s).fill(1);
  const runs = Array.from({ length: b }, (_, i) => {
    const set = new Set();
    for (let j = 0; j < n; j++) for (const p of [pos.data[i * n + j], Math.min(s - 1, pos.data[i * n + j] + 1)]) set.add(p);
    return [...set].sort((x, y) => x - y);
  });
  const q = Math.max(...runs.map((r) => r.length));
  const ids = [];
  const positions = [];
  const keys = [];
  const rows = [];
  runs.forEach((run, i) => {
    for (let j = 0; j < q; j++) {
      const p = run[Math.min(j, run.length - 1)];
      ids.push(c.inputs.input_ids.data[i * s + p]);
      positions.push(p);
    }
    for (let p = 0; p < s; p++) keys.push(run.includes(p) ? 0 : mask[i * s + p]);
    for (let j = 0; j < q; j++) keys.push(j < run.length ? mask[i * s + run[j]] : 0);
    for (let j = 0; j < n; j++) rows.push(run.indexOf(pos.data[i * n + j]));
  });
  const fill = ['presentKey', 'presentValue'].map((key) => layerNames(key).map((name) => results[name]));
  const cached = await session.run({
    [cfg.onnx.inputs.inputIds]: int64(ids, [b, q]),
    [positionIds]: int64(positions, [b, q]),
    [cfg.onnx.inputs.attentionMask]: int64(keys, [b, s + q]),
    [cfg.onnx.inputs.logitPositions]: int64(rows, [b, n]),
    ...past(s, fill),
  });
  let diff = 0;
  for (let i = 0; i < out.data.length; i++) {
    const d = Math.abs(cached[cfg.onnx.output].data[i] - out.data[i]);
    if (!(d <= diff)) diff = d;
  }
  const good = diff <= tol;
  ok &&= good;
  console.log(`  cache: ${q} of ${s} positions run over the cache, max abs diff ${diff.toExponential(3)} ${good ? 'OK' : 'FAIL'}`);
}
process.exit(ok ? 0 : 1);
