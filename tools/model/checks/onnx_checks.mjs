// The checks check_built.mjs and compare_onnx.mjs both make on a model folder's graph, so that the
// builder's and the exporter's folders are held to the same rules.
import { createRequire } from 'node:module';

// createRequire so that NODE_PATH works too (ESM imports ignore it).
const require = createRequire(import.meta.url);
export const ort = require('onnxruntime-node');

export const int64 = (data, dims) => new ort.Tensor('int64', BigInt64Array.from(data.map(BigInt)), dims);

export const maxDiff = (a, e) => {
  let m = 0;
  for (let i = 0; i < e.length; i++) {
    const d = Math.abs(a[i] - e[i]);
    if (!(d <= m)) m = d; // NaN counts as a failure
  }
  return m;
};

const layerNames = (cache, key) => (cache ? Array.from({ length: cache.layers }, (_, l) => cache[key].replace('{layer}', String(l))) : []);

/** The past feeds: `fill` ([keys, values] by layer) or, without it, an empty past. */
export const pastFeeds = (cache, b, fill) =>
  Object.fromEntries(
    ['pastKey', 'pastValue'].flatMap((key, kv) =>
      layerNames(cache, key).map((name, l) => [
        name,
        fill ? fill[kv][l] : new ort.Tensor('float32', new Float32Array(0), [b, cache.kvHeads, 0, cache.headDim]),
      ]),
    ),
  );

/** A full pass over `b` canvases `s` long: every position run, an empty past, the rows `logitPositions` asked. */
export function fullPass(session, onnx, ids, mask, logitPositions, b, s) {
  const { inputs, cache } = onnx;
  const feeds = { [inputs.inputIds]: int64(ids, [b, s]), [inputs.logitPositions]: int64(logitPositions, [b, logitPositions.length / b]) };
  if (inputs.attentionMask) feeds[inputs.attentionMask] = int64(mask, [b, s]);
  if (inputs.positionIds)
    feeds[inputs.positionIds] = int64(
      Array.from({ length: b * s }, (_, i) => i % s),
      [b, s],
    );
  if (cache) Object.assign(feeds, pastFeeds(cache, b));
  return session.run(feeds);
}

/**
 * onnx.decide's outputs against the graph's own logits, in float64 as the engine's sampler computes them.
 * A NaN output counts as an infinite difference.
 */
export function checkDecide(logits, results, decide, vocab, rows) {
  let worst = 0;
  let tokens = 0;
  for (let r = 0; r < rows; r++) {
    const row = logits.subarray(r * vocab, (r + 1) * vocab);
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
    for (let k = 0; k < 3; k++) worst = Math.max(worst, Math.abs(want[k] - got[k]) || (want[k] === got[k] ? 0 : Infinity));
  }
  return { tokens, worst };
}

/**
 * A second pass over the asked rows only, fed the first pass's keys and values: its logits must be
 * the first pass's.  Each row's neighbour runs too, so that the run set is not just the rows.
 * Returns the run length and the largest difference.
 */
export async function checkCache(session, onnx, caseInputs, mask, results, [b, s, n]) {
  const { inputs, cache } = onnx;
  const pos = caseInputs.logit_positions.data;
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
      ids.push(caseInputs.input_ids.data[i * s + p]);
      positions.push(p);
    }
    for (let p = 0; p < s; p++) keys.push(run.includes(p) ? 0 : mask[i * s + p]);
    for (let j = 0; j < q; j++) keys.push(j < run.length ? mask[i * s + run[j]] : 0);
    for (let j = 0; j < n; j++) rows.push(run.indexOf(pos[i * n + j]));
  });
  const fill = ['presentKey', 'presentValue'].map((key) => layerNames(cache, key).map((name) => results[name]));
  const cached = await session.run({
    [inputs.inputIds]: int64(ids, [b, q]),
    [inputs.positionIds]: int64(positions, [b, q]),
    [inputs.attentionMask]: int64(keys, [b, s + q]),
    [inputs.logitPositions]: int64(rows, [b, n]),
    ...pastFeeds(cache, b, fill),
  });
  return { q, diff: maxDiff(cached[onnx.output].data, results[onnx.output].data) };
}

/**
 * onnx.cache.ropeTheta against the graph: the first layer's keys of `ids` with one more token put
 * in front are the keys of `ids`, each turned one position on by the rotary embedding (HF's
 * rotate_half layout) with that base, as the engine turns an earlier request's keys to reuse them
 * (src/core/contextReuse.ts).  The first layer's keys depend on a token and its position only.
 * Returns the largest difference.
 */
export async function checkRotary(session, onnx, ids) {
  const { cache } = onnx;
  const keys = async (canvas) => {
    const r = await fullPass(
      session,
      onnx,
      canvas,
      canvas.map(() => 1),
      [0],
      1,
      canvas.length,
    );
    return r[cache.presentKey.replace('{layer}', '0')].data;
  };
  const before = await keys(ids);
  const after = await keys([ids[0], ...ids]);
  const { kvHeads, headDim, ropeTheta } = cache;
  const half = headDim / 2;
  const s = ids.length;
  let worst = 0;
  for (let h = 0; h < kvHeads; h++) {
    for (let j = 0; j < s; j++) {
      const from = (h * s + j) * headDim;
      const to = (h * (s + 1) + j + 1) * headDim;
      for (let d = 0; d < half; d++) {
        const angle = ropeTheta ** ((-2 * d) / headDim);
        const [a, b] = [before[from + d], before[from + half + d]];
        const want = [a * Math.cos(angle) - b * Math.sin(angle), b * Math.cos(angle) + a * Math.sin(angle)];
        const got = [after[to + d], after[to + half + d]];
        for (let k = 0; k < 2; k++) worst = Math.max(worst, Math.abs(want[k] - got[k]) || (want[k] === got[k] ? 0 : Infinity));
      }
    }
  }
  return worst;
}
