// onnx.decide alone (make_bench_model.decide_graph_alone) on logits made to test it: the top two in
// one block and in two, the top in the last (padded) block, near-certain rows and flat ones, each
// against the engine's float64 sampler (onnx_checks.checkDecide).
//   node tools/model/check_decide.mjs GRAPH VOCAB      exits non-zero on a failure
import { createRequire } from 'node:module';
import { checkDecide } from './onnx_checks.mjs';

const require = createRequire(import.meta.url);
const ort = require('onnxruntime-node');
const [graph, vocabArg] = process.argv.slice(2);
const V = Number(vocabArg);
const ROWS = 8;
let seed = 7;
const rnd = () => (seed = (seed * 16807) % 2147483647) / 2147483647;
const gauss = () => Math.sqrt(-2 * Math.log(rnd() + 1e-12)) * Math.cos(2 * Math.PI * rnd());
const rows = (fill, top) => {
  const a = Float32Array.from({ length: ROWS * V }, fill);
  for (let r = 0; r < ROWS; r++) top(a.subarray(r * V, (r + 1) * V), r);
  return a;
};
const at = () => Math.floor(rnd() * V);
const cases = {
  flat: rows(
    () => rnd() * 6 - 3,
    () => {},
  ),
  'one far ahead': rows(
    () => gauss() * 3,
    (row, r) => (row[at()] = 30 + r),
  ),
  'near-certain': rows(
    () => gauss() - 20,
    (row) => (row[at()] = 25),
  ),
  'equal tops apart': rows(gauss, (row) => (row[at()] = row[at()] = 8)),
  'equal tops side by side': rows(gauss, (row) => {
    const i = Math.min(at(), V - 2);
    row[i] = row[i + 1] = 8;
  }),
  'top two in one block': rows(gauss, (row) => {
    const i = Math.min(at(), V - 2);
    row[i] = 9;
    row[i + 1] = 8.5;
  }),
  'top two in the last block': rows(gauss, (row) => {
    row[V - 1] = 9;
    row[V - 2] = 8.5;
  }),
  'runner-up in another block': rows(gauss, (row) => {
    row[0] = 9;
    row[V - 1] = 8.5;
  }),
};
const session = await ort.InferenceSession.create(graph, { logSeverityLevel: 3 });
const names = { token: 'top_token', prob: 'top_prob', secondProb: 'second_prob', entropy: 'entropy' };
let failed = 0;
for (const [name, logits] of Object.entries(cases)) {
  const results = await session.run({ logits: new ort.Tensor('float32', logits, [ROWS, V]) });
  const { tokens, worst } = checkDecide(logits, results, names, V, ROWS);
  const ok = tokens === ROWS && worst <= 1e-4;
  failed += ok ? 0 : 1;
  console.log(`  vocab ${V}, ${name}: ${tokens}/${ROWS} argmax, max abs diff ${worst.toExponential(2)} ${ok ? 'OK' : 'FAIL'}`);
}
process.exitCode = failed ? 1 : 0;
