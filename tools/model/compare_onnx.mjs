// Runs a model folder with onnxruntime-node on inputs written by a Python test and compares
// the logits with the reference the test computed in torch (onnxruntime has no Python build here).
//
//   node tools/model/compare_onnx.mjs MODEL_DIR CASE_DIR [--tol 1e-3]
//
// CASE_DIR/case.json: { "inputs": {name: {"data": [...ints], "dims": [...]}}, "dims": [b, n, v] }
// CASE_DIR/expected.f32: the reference logits, float32 little-endian.
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
const feeds = {};
for (const [key, name] of Object.entries(cfg.onnx.inputs)) {
  if (name === null) continue;
  const inp = c.inputs[name];
  if (!inp) continue;
  feeds[name] = new ort.Tensor('int64', BigInt64Array.from(inp.data.map(BigInt)), inp.dims);
}
const out = (await session.run(feeds))[cfg.onnx.output];
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
const ok = maxDiff <= tol;
console.log(`${path.basename(path.resolve(modelDir))}: shape ${JSON.stringify(out.dims)} max abs diff ${maxDiff.toExponential(3)} (tol ${tol}) ${ok ? 'OK' : 'FAIL'}`);
process.exit(ok ? 0 : 1);
