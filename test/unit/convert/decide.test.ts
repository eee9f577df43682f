import * as assert from 'node:assert/strict';
import * as path from 'node:path';
import * as ort from 'onnxruntime-node';
import { decide, DECIDE_NAMES, DECIDE_TYPES, DecideKey } from '../../../src/convert/decide';
import { Graph } from '../../../src/convert/onnxGraph';
import { tempDir } from '../support/fixtures';

const ROWS = 8;

/** onnx.decide alone over float32 logits [rows, vocab]. */
async function decideSession(dir: string, vocab: number): Promise<ort.InferenceSession> {
  const file = path.join(dir, `decide_${vocab}.onnx`);
  const g = new Graph(`${file}.data`, `decide_${vocab}.onnx.data`);
  const logits = g.input('logits', 'float32', ['rows', vocab]);
  const out = decide(g, logits, vocab);
  for (const key of Object.keys(DECIDE_NAMES) as DecideKey[]) g.output(out[key], DECIDE_NAMES[key], DECIDE_TYPES[key], ['rows']);
  g.save(file, {}, 'test');
  return ort.InferenceSession.create(file, { logSeverityLevel: 3 });
}

/** The four numbers in float64, as the engine's sampler computes them from a row. */
function reference(row: Float32Array): { token: number; prob: number; secondProb: number; entropy: number } {
  let best = 0;
  for (let v = 1; v < row.length; v++) if (row[v] > row[best]) best = v;
  let second = -Infinity;
  for (let v = 0; v < row.length; v++) if (v !== best && row[v] > second) second = row[v];
  let z = 0;
  let w = 0;
  for (let v = 0; v < row.length; v++) {
    const e = Math.exp(row[v] - row[best]);
    z += e;
    w += e * (row[v] - row[best]);
  }
  return { token: best, prob: 1 / z, secondProb: Math.exp(second - row[best]) / z, entropy: Math.log(z) - w / z };
}

/** Logits made to test the decision: ties in one block and across blocks, the top two in the last (padded) block, near-certain and flat rows. */
function cases(vocab: number): Record<string, Float32Array> {
  let seed = 7;
  const rnd = () => (seed = (seed * 16807) % 2147483647) / 2147483647;
  const gauss = () => Math.sqrt(-2 * Math.log(rnd() + 1e-12)) * Math.cos(2 * Math.PI * rnd());
  const at = () => Math.floor(rnd() * vocab);
  const rows = (fill: () => number, top: (row: Float32Array, r: number) => void) => {
    const a = Float32Array.from({ length: ROWS * vocab }, fill);
    for (let r = 0; r < ROWS; r++) top(a.subarray(r * vocab, (r + 1) * vocab), r);
    return a;
  };
  return {
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
      const i = Math.min(at(), vocab - 2);
      row[i] = row[i + 1] = 8;
    }),
    'top two in one block': rows(gauss, (row) => {
      const i = Math.min(at(), vocab - 2);
      row[i] = 9;
      row[i + 1] = 8.5;
    }),
    'top two in the last block': rows(gauss, (row) => {
      row[vocab - 1] = 9;
      row[vocab - 2] = 8.5;
    }),
    'runner-up in another block': rows(gauss, (row) => {
      row[0] = 9;
      row[vocab - 1] = 8.5;
    }),
  };
}

describe('convert: the decision in the graph (onnx.decide)', () => {
  // 320: whole blocks; 6,143: a padded last block; 151,936: Qwen2's vocabulary.
  for (const vocab of [320, 6143, 151936]) {
    it(`gives the sampler's argmax (the first on ties), probabilities and entropy at vocab ${vocab}`, async () => {
      const t = tempDir();
      try {
        const session = await decideSession(t.dir, vocab);
        for (const [name, logits] of Object.entries(cases(vocab))) {
          const out = await session.run({ logits: new ort.Tensor('float32', logits, [ROWS, vocab]) });
          for (let r = 0; r < ROWS; r++) {
            const want = reference(logits.subarray(r * vocab, (r + 1) * vocab));
            assert.equal(Number(out[DECIDE_NAMES.token].data[r]), want.token, `${name}, row ${r}: argmax`);
            for (const key of ['prob', 'secondProb', 'entropy'] as const) {
              const got = out[DECIDE_NAMES[key]].data[r] as number;
              assert.ok(Math.abs(got - want[key]) <= 1e-4, `${name}, row ${r}: ${key} ${got} against ${want[key]}`);
            }
          }
        }
        await session.release();
      } finally {
        t.remove();
      }
    });
  }
});
