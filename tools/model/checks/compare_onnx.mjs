// Runs a model folder with onnxruntime-node on inputs written by a Python test and compares
// the logits with the reference the test computed in torch (onnxruntime has no Python build here).
//
//   node tools/model/checks/compare_onnx.mjs MODEL_DIR CASE_DIR [--tol 1e-3] [--tol-cache X]
//
// CASE_DIR/case.json: { "inputs": {name: {"data": [...ints], "dims": [...]}}, "dims": [b, n, v] }
// CASE_DIR/expected.f32: the reference logits, float32 little-endian.
// A graph with onnx.decide is also checked against its own logits; one with onnx.cache is run a
// second time over the asked rows only, with the first pass's keys and values as the past, and
// must give the same logits (docs/model-folder.md), within --tol-cache (default --tol): an int8 graph
// quantizes its activations per call, so there the two passes agree only to the int8 rounding.
import fs from 'node:fs';
import path from 'node:path';
import { checkCache, checkDecide, checkRotary, fullPass, maxDiff, ort } from './onnx_checks.mjs';

const args = process.argv.slice(2);
const tolIdx = args.indexOf('--tol');
const tol = tolIdx >= 0 ? Number(args.splice(tolIdx, 2)[1]) : 1e-3;
const cacheIdx = args.indexOf('--tol-cache');
const tolCache = cacheIdx >= 0 ? Number(args.splice(cacheIdx, 2)[1]) : tol;
const [modelDir, caseDir] = args;
if (!modelDir || !caseDir) {
  console.error('usage: compare_onnx.mjs MODEL_DIR CASE_DIR [--tol X] [--tol-cache X]');
  process.exit(2);
}

const cfg = JSON.parse(fs.readFileSync(path.join(modelDir, 'model.json'), 'utf8'));
const c = JSON.parse(fs.readFileSync(path.join(caseDir, 'case.json'), 'utf8'));
const buf = fs.readFileSync(path.join(caseDir, 'expected.f32'));
const expected = new Float32Array(buf.buffer, buf.byteOffset, buf.byteLength / 4);

const session = await ort.InferenceSession.create(path.join(modelDir, cfg.onnx.file));
const [b, s] = c.inputs.input_ids.dims;
const cache = cfg.onnx.cache;
const mask = c.inputs.attention_mask?.data ?? new Array(b * s).fill(1);
const results = await fullPass(session, cfg.onnx, c.inputs.input_ids.data, mask, c.inputs.logit_positions.data, b, s);
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
const diff = maxDiff(out.data, expected);
let ok = diff <= tol;
console.log(
  `${path.basename(path.resolve(modelDir))}: shape ${JSON.stringify(out.dims)} max abs diff ${diff.toExponential(3)} (tol ${tol}) ${ok ? 'OK' : 'FAIL'}`,
);
const vocab = cfg.vocabSize;
const n = out.dims[1];

if (cfg.onnx.decide) {
  const { tokens, worst } = checkDecide(out.data, results, cfg.onnx.decide, vocab, b * n);
  const good = tokens === b * n && worst <= 1e-4;
  ok &&= good;
  console.log(`  decide: ${tokens}/${b * n} tokens are the argmax, max abs diff ${worst.toExponential(3)} ${good ? 'OK' : 'FAIL'}`);
}

if (cache) {
  const { q, diff } = await checkCache(session, cfg.onnx, c.inputs, mask, results, [b, s, n]);
  const good = diff <= tolCache;
  ok &&= good;
  console.log(`  cache: ${q} of ${s} positions run over the cache, max abs diff ${diff.toExponential(3)} (tol ${tolCache}) ${good ? 'OK' : 'FAIL'}`);
  const r = cache.ropeTheta === undefined ? Infinity : await checkRotary(session, cfg.onnx, Array.from(c.inputs.input_ids.data.slice(0, s)));
  ok &&= r <= tolCache;
  console.log(
    `  ropeTheta ${cache.ropeTheta}: keys one position on, turned, max abs diff ${r.toExponential(3)} (tol ${tolCache}) ${r <= tolCache ? 'OK' : 'FAIL'}`,
  );
}
process.exit(ok ? 0 : 1);
