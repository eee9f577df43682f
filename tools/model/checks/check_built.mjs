// Checks a model folder that `models convert` built against references a Python test computed in torch
// (onnxruntime has no Python build here).
//
//   node tools/model/checks/check_built.mjs MODEL_DIR CASE_DIR --tol X [--tol-exact Y]
//
// CASE_DIR/case.json: { inputs: {input_ids, attention_mask, logit_positions: {data, dims}}, dims,
//   canvas: [ids], fill: [ids] }; expected.f32: torch's logits on the checkpoint's weights;
//   expected_exact.f32 (float16/int8/int4): torch's logits on the weights as stored (rounded or
//   dequantized).
// Checked: the logits (max abs diff within tol, and within tol-exact of the exact reference); with
// onnx.decide, the four outputs against the graph's own logits; with onnx.cache, a second pass over
// the asked rows only, fed the first pass's keys and values, gives the same logits, and the keys move
// as onnx.cache.ropeTheta says (checkRotary); and the greedy
// fill of case.canvas (one position a step, the most probable) equals case.fill.  Prints one line
// per check with its figure; exits 1 on any failure.
import fs from 'node:fs';
import path from 'node:path';
import { checkCache, checkDecide, checkRotary, fullPass, maxDiff, ort } from './onnx_checks.mjs';

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
const { cache, decide } = cfg.onnx;

let ok = true;
const report = (what, good, text) => {
  ok &&= good;
  console.log(`  ${what}: ${text} ${good ? 'OK' : 'FAIL'}`);
};

const [b, s] = c.inputs.input_ids.dims;
const n = c.inputs.logit_positions.dims[1];
const mask = c.inputs.attention_mask.data;
const results = await fullPass(session, cfg.onnx, c.inputs.input_ids.data, mask, c.inputs.logit_positions.data, b, s);
const out = results[cfg.onnx.output];
console.log(`${path.basename(path.resolve(modelDir))} (${cfg.layout}, ${cfg.precision}):`);
report('shape', JSON.stringify(out.dims) === JSON.stringify(c.dims) && out.type === 'float32', `${out.type} ${JSON.stringify(out.dims)}`);
const d0 = maxDiff(out.data, readF32('expected.f32'));
report('logits vs torch', d0 <= tol, `max abs diff ${d0.toExponential(3)} (tol ${tol})`);
if (tolExact !== null) {
  const d1 = maxDiff(out.data, readF32('expected_exact.f32'));
  report('logits vs torch on the stored weights', d1 <= tolExact, `max abs diff ${d1.toExponential(3)} (tol ${tolExact})`);
}
const vocab = cfg.vocabSize;
if (decide) {
  const { tokens, worst } = checkDecide(out.data, results, decide, vocab, b * n);
  report('decide', tokens === b * n && worst <= 1e-4, `${tokens}/${b * n} argmax, max abs diff ${worst.toExponential(3)}`);
}
if (cache) {
  const { q, diff: d } = await checkCache(session, cfg.onnx, c.inputs, mask, results, [b, s, n]);
  report('cache', d <= 1e-4, `${q} of ${s} positions over the cache, max abs diff ${d.toExponential(3)}`);
  if (cache.ropeTheta === undefined) report('ropeTheta', false, 'model.json onnx.cache has none');
  else {
    const r = await checkRotary(session, cfg.onnx, Array.from(c.inputs.input_ids.data.slice(0, s)));
    report('ropeTheta', r <= tol, `keys one position on, turned with base ${cache.ropeTheta}: max abs diff ${r.toExponential(3)} (tol ${tol})`);
  }
}
// Greedy fill (case.fill null: not compared, for graphs whose kernels also round the activations):
// each step commits the masked position whose most probable token (not the mask) is the
// most probable.
const canvas = [...c.canvas];
const shift = cfg.logitsShifted ? 1 : 0;
while (c.fill && canvas.includes(cfg.maskTokenId)) {
  const masked = canvas.flatMap((t, i) => (t === cfg.maskTokenId ? [i] : []));
  const r = await fullPass(
    session,
    cfg.onnx,
    canvas,
    canvas.map(() => 1),
    masked.map((m) => m - shift),
    1,
    canvas.length,
  );
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
