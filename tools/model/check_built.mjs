// Checks a model folder that build_onnx.py wrote against references a Python test computed in torch
// (onnxruntime has no Python build here).
//
//   node tools/model/check_built.mjs MODEL_DIR CASE_DIR --tol X [--tol-exact Y]
//
// CASE_DIR/case.json: { inputs: {input_ids, attention_mask, logit_positions: {data, dims}}, dims,
//   canvas: [ids], fill: [ids] }; expected.f32: torch's logits on the checkpoint's weights;
//   expected_exact.f32 (float16/int8/int4): torch's logits on the weights as stored (rounded or
//   dequantized).
// Checked: the logits (max abs diff within tol, and within tol-exact of the exact reference); with
// onnx.decide, the four outputs against the graph's own logits; with onnx.cache, a second pass over
// the asked rows only, fed the first pass's keys and values, gives the same logits; and the greedy
// fill of case.canvas (one position a step, the most probable) equals case.fill.  Prints one line
// per check with its figure; exits 1 on any failure.
import { createRequire } from 'node:module';
import fs from 'node:fs';
import path from 'node:path';

const require = createRequire(import.meta.url);
const ort = require('onnxruntime-node');

const args = process.argv.slice(2);
const flag = (name) => {
  const i = args.indexOf(name);
  return i >= 0 ? Number(args.splice(i, 2)[1]) : null;
};
const tol = flag('--tol') ?? 1e-4;
const tolExact = flag('--tol-exact');
const [modelDir, caseDir] = args;
const cfg = JSON.parse(fs.readFileSync(path.join(modelDir, 'model.json'), 'utf8'));
const c = JSON.parse(fs.readFileSync(path.join(caseDir, 'case.json'), 'utf8'));
const readF32 = (f) => {
  const buf = fs.readFileSync(path.join(caseDir, f));
  return new Float32Array(buf.buffer, buf.byteOffset, buf.byteLength / 4);
};
const session = await ort.InferenceSession.create(path.join(modelDir, cfg.onnx.file));
const { inputs, cache, decide } = cfg.onnx;
const int64 = (data, dims) => new ort.Tensor('int64', BigInt64Array.from(data.map(BigInt)), dims);
const layerNames = (key) => (cache ? Array.from({ length: cache.layers }, (_, l) => cache[key].replace('{layer}', String(l))) : []);
const past = (b, p, fill) =>
  Object.fromEntries(
    ['pastKey', 'pastValue'].flatMap((key, kv) =>
      layerNames(key).map((name, l) => [name, fill ? fill[kv][l] : new ort.Tensor('float32', new Float32Array(0), [b, cache.kvHeads, 0, cache.headDim])]),
    ),
  );

/** A full pass: every position run, no past. */
async function forward(ids, mask, positions, b, s) {
  const feeds = { [inputs.inputIds]: int64(ids, [b, s]), [inputs.logitPositions]: int64(positions, [b, positions.length / b]) };
  if (inputs.attentionMask) feeds[inputs.attentionMask] = int64(mask, [b, s]);
  if (inputs.positionIds) feeds[inputs.positionIds] = int64(Array.from({ length: b * s }, (_, i) => i % s), [b, s]);
  if (cache) Object.assign(feeds, past(b, 0));
  return session.run(feeds);
}

const maxDiff = (a, e) => {
  let m = 0;
  for (let i = 0; i < e.length; i++) {
    const d = Math.abs(a[i] - e[i]);
    if (!(d <= m)) m = d; // NaN counts as a failure
  }
  return m;
};
let ok = true;
const report = (what, good, text) => {
  ok &&= good;
  console.log(`  ${what}: ${text} ${good ? 'OK' : 'FAIL'}`);
};

const [b, s] = c.inputs.input_ids.dims;
const n = c.inputs.logit_positions.dims[1];
const mask = c.inputs.attention_mask.data;
const results = await forward(c.inputs.input_ids.data, mask, c.inputs.logit_positions.data, b, s);
const out = results[cfg.onnx.output];
console.log(`${path.basename(path.resolve(modelDir))} (${cfg.family}, ${cfg.precision}):`);
report('shape', JSON.stringify(out.dims) === JSON.stringify(c.dims) && out.type === 'float32', `${out.type} ${JSON.stringify(out.dims)}`);
const d0 = maxDiff(out.data, readF32('expected.f32'));
report('logits vs torch', d0 <= tol, `max abs diff ${d0.toExponential(3)} (tol ${tol})`);
if (tolExact !== null) {
  const d1 = maxDiff(out.data, readF32('expected_exact.f32'));
  report('logits vs torch on the stored weights', d1 <= tolExact, `max abs diff ${d1.toExponential(3)} (tol ${tolExact})`);
}
const vocab = cfg.vocabSize;
if (decide) {
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
    if (Number(results[decide.token].data[r]) === best) tokens++;
    const want = [1 / z, Math.exp(second - row[best]) / z, Math.log(z) - w / z];
    const got = [results[decide.prob].data[r], results[decide.secondProb].data[r], results[decide.entropy].data[r]];
    for (let k = 0; k < 3; k++) worst = Math.max(worst, Math.abs(want[k] - got[k]) || 0);
  }
  report('decide', tokens === b * n && worst <= 1e-4, `${tokens}/${b * n} argmax, max abs diff ${worst.toExponential(3)}`);
}
if (cache) {
  // The asked rows and each one's neighbour, run over the first pass's keys and values.
  const pos = c.inputs.logit_positions.data;
  const runs = Array.from({ length: b }, (_, i) => {
    const set = new Set();
    for (let j = 0; j < n; j++) for (const p of [pos[i * n + j], Math.min(s - 1, pos[i * n + j] + 1)]) set.add(p);
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
    for (let j = 0; j < n; j++) rows.push(run.indexOf(pos[i * n + j]));
  });
  const fill = ['presentKey', 'presentValue'].map((key) => layerNames(key).map((name) => results[name]));
  const cached = await session.run({
    [inputs.inputIds]: int64(ids, [b, q]),
    [inputs.positionIds]: int64(positions, [b, q]),
    [inputs.attentionMask]: int64(keys, [b, s + q]),
    [inputs.logitPositions]: int64(rows, [b, n]),
    ...past(b, s, fill),
  });
  const d = maxDiff(cached[cfg.onnx.output].data, out.data);
  report('cache', d <= 1e-4, `${q} of ${s} positions over the cache, max abs diff ${d.toExponential(3)}`);
}
// Greedy fill (case.fill null: not compared, for graphs whose kernels also round the activations):
// each step commits the masked position whose most probable token (not the mask) is the
// most probable.
const canvas = [...c.canvas];
const shift = cfg.family === 'dream' ? 1 : 0;
while (c.fill && canvas.includes(cfg.maskTokenId)) {
  const masked = canvas.flatMap((t, i) => (t === cfg.maskTokenId ? [i] : []));
  const r = await forward(canvas, canvas.map(() => 1), masked.map((m) => m - shift), 1, canvas.length);
  const logits = r[cfg.onnx.output].data;
  let best = { conf: -Infinity };
  masked.forEach((m, j) => {
    const row = logits.slice(j * vocab, (j + 1) * vocab);
    row[cfg.maskTokenId] = -Infinity; // the mask is never a fill
    let top = 0;
    for (let v = 1; v < vocab; v++) if (row[v] > row[top]) top = v;
    let z = 0;
    for (let v = 0; v < vocab; v++) z += Math.exp(row[v] - row[top]);
    if (1 / z > best.conf) best = { conf: 1 / z, m, top };
  });
  canvas[best.m] = best.top;
}
if (c.fill) {
  const same = canvas.every((t, i) => t === c.fill[i]);
  report('greedy fill', same, same ? `${c.canvas.filter((t) => t === cfg.maskTokenId).length} tokens as torch's` : `[${canvas}] != torch's [${c.fill}]`);
} else {
  console.log('  greedy fill: not compared (the activations are rounded too)');
}
process.exit(ok ? 0 : 1);
