/**
 * Where a step's time goes: the forward pass against the sampler's work, for a few canvas sizes.
 * usage: node dist/bench.js [--model DIR] [--repeats N] [--sizes 64,128] [--hole-cases N]
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { parseArgs } from 'node:util';
import { bundledModelDir, loadModelFolder, resolveSampler } from '../core';
import { proposeDream } from '../core/sampling/propose';
import { seededRng } from '../core/sampling/rng';
import { topByScore } from '../core/sampling/select';
import { benchEventLoop } from './eventLoop';
import { benchHoleEnds } from './holeEnds';

async function main() {
  const { values } = parseArgs({ options: { model: { type: 'string' }, repeats: { type: 'string' }, sizes: { type: 'string' }, 'hole-cases': { type: 'string' } } });
  const dir = values.model ?? bundledModelDir();
  const repeats = Number(values.repeats ?? 10);
  const model = await loadModelFolder(dir);
  const { config, network } = model;
  const sizes = (values.sizes ?? '64,128,256,512').split(',').map(Number).filter((n) => n <= config.maxContext);
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
    console.log(`${String(size).padStart(6)}  ${String(masked.length).padStart(6)}  ${f.toFixed(2).padStart(10)}  ${s.toFixed(2).padStart(10)}  ${(s / f).toFixed(3).padStart(15)}`);
  }
  const data = path.resolve(__dirname, '..', '..', 'shared', 'data', 'humaneval-infilling', 'HumanEval-SingleLineInfilling.jsonl.gz');
  if (fs.existsSync(data)) await benchHoleEnds(model, data, Number(values['hole-cases'] ?? 20));
  else console.log(`(no ${data}: end-token comparison skipped)`);
  await network.dispose();
  await benchEventLoop(dir, repeats);
  samplerAtQwenVocab();
}

/**
 * The sampler's cost does not depend on the network, only on the vocabulary: measure it at the
 * Qwen2.5 vocabulary of DiffuCoder and Dream with DiffuCoder's suggested settings.
 */
function samplerAtQwenVocab() {
  const vocab = 151936;
  const rng = seededRng(2);
  const rows = Array.from({ length: 8 }, () => {
    const row = new Float32Array(vocab);
    for (let v = 0; v < vocab; v++) row[v] = rng() * 6 - 3;
    row[Math.floor(rng() * vocab)] = 12;
    return row;
  });
  console.log(`sampler at vocab ${vocab}, ms per masked position:`);
  for (const settings of [{ temperature: 0 }, { temperature: 0.4, topP: 0.95 }, { temperature: 0.4, topP: 0.95, topK: 50 }]) {
    const s = resolveSampler({ alg: 'entropy', ...settings });
    const t0 = performance.now();
    for (const row of rows) proposeDream(row, 'entropy', s, rng);
    console.log(`  ${JSON.stringify(settings).padEnd(44)} ${((performance.now() - t0) / rows.length).toFixed(2)}`);
  }
}

main().catch((e) => {
  console.error(e instanceof Error ? e.message : e);
  process.exitCode = 1;
});
