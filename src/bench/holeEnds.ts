/**
 * What the end-token rule buys on cursor holes: the same canvases decoded by the reference order
 * (Dream's, every position until the last step) and with the rule (an end waits for the text
 * before it; a hole whose end is decided stops).  Cases: HumanEval single-line infilling prompts.
 */
import * as fs from 'node:fs';
import * as zlib from 'node:zlib';
import { canvasFor, DEFAULT_HOLE_TOKENS, LoadedModel, resolveSampler } from '../core';
import { denoise } from '../core/sampling/denoise';
import { HoleRules } from '../core/sampling/holeRules';

interface Run {
  forwards: number;
  ms: number;
  empty: boolean;
}

export async function benchHoleEnds(model: LoadedModel, dataFile: string, cases: number): Promise<void> {
  const rows = zlib.gunzipSync(fs.readFileSync(dataFile)).toString('utf8').trim().split('\n').slice(0, cases);
  const { config } = model;
  const sampler = resolveSampler(config.sampler, {});
  const ends = new Set([config.eosTokenId, config.padTokenId]);
  const totals = { reference: [] as Run[], rule: [] as Run[] };
  for (const line of rows) {
    const { prompt, suffix } = JSON.parse(line) as { prompt: string; suffix: string };
    const holes = [{ start: prompt.length, end: prompt.length }];
    for (const [name, withRule] of [
      ['reference', false],
      ['rule', true],
    ] as const) {
      const canvas = await canvasFor(model, prompt + suffix, holes, {});
      const hole = canvas.holes[0];
      const masked = Array.from({ length: hole.length }, (_, k) => hole.start + k);
      const t0 = performance.now();
      let forwards = 0;
      for await (const _ of denoise({
        network: model.network,
        ids: canvas.ids,
        masked,
        shifted: config.logitsShifted,
        maskTokenId: config.maskTokenId,
        sampler,
        rules: withRule ? new HoleRules({ holes: canvas.holes, maskTokenId: config.maskTokenId, endTokenIds: ends }) : undefined,
      }))
        forwards++;
      const first = canvas.ids[hole.start];
      totals[name].push({ forwards, ms: performance.now() - t0, empty: ends.has(first) });
    }
  }
  const mean = (runs: Run[], f: (r: Run) => number) => runs.reduce((a, r) => a + f(r), 0) / runs.length;
  console.log(`cursor holes of ${DEFAULT_HOLE_TOKENS} tokens, ${rows.length} HumanEval single-line prompts, alg ${sampler.alg}:`);
  console.log('order        forwards/fill  ms/fill  empty fills');
  for (const [name, runs] of Object.entries(totals)) {
    console.log(
      `${name.padEnd(12)} ${mean(runs, (r) => r.forwards)
        .toFixed(1)
        .padStart(13)}  ${mean(runs, (r) => r.ms)
        .toFixed(0)
        .padStart(7)}  ${String(runs.filter((r) => r.empty).length).padStart(11)}`,
    );
  }
  console.log(`rule / reference: ${(mean(totals.rule, (r) => r.ms) / mean(totals.reference, (r) => r.ms)).toFixed(2)} of the time`);
}
