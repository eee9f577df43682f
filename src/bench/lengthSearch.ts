/**
 * Length search on held-out holes, tools/model/evaluation/eval_heldout.py's cases (never numpy):
 * exact match and forwards per hole for the fixed hole (32 masks cut at the end), the search, and
 * the true length (the oracle, an upper bound), on the bundled model; then what the search costs
 * in forwards and wall time on a model of Open-dCoder-0.5B's shape (int4, random weights: only
 * the cost).  `validateLengthSearch` is how the score and the stopping rule were chosen: on
 * other cases (case seed 1), every candidate decoded to its end, each rule replayed on the record.
 */
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { BUILDER_VERSION, convertCheckpoint } from '../convert/convert';
import { bundledModelDir, canvasFor, Hole, InfillOptions, LocalEngine, loadModelFolder, LoadedModel, LogitsModel, resolveSampler } from '../core';
import { HoleGeneration } from '../core/denoiseHoles';
import { Candidate, candidateLengths, HALVING, meanLogProbability, SearchPolicy, searchLength } from '../core/lengthSearch';
import type { ProposeRequest } from '../core/logitsModel';
import { SHAPES, writeCheckpoint } from './syntheticCheckpoint';

const ROOT = path.resolve(__dirname, '..');
const BENCH = path.join(ROOT, 'models', '.bench');
const PYTHON = process.env.PYTHON ?? '/usr/bin/python3';
/** The fixed hole the search is measured against: 32 masks, cut at the first end. */
const FIXED = 32;
const COST_MODEL = path.join(BENCH, 'qwen0.5b-int4');

interface HeldoutCase {
  kind: 'single' | 'multi';
  prefix: string;
  suffix: string;
  target: string;
}

/** eval_heldout.py's cases (its make_cases), written once per seed and count. */
function heldoutCases(seed: number, single: number, multi: number): HeldoutCase[] {
  const file = path.join(BENCH, `cases-seed${seed}-${single}-${multi}.json`);
  if (!fs.existsSync(file)) {
    fs.mkdirSync(BENCH, { recursive: true });
    const args = ['--write-cases', file, '--single', String(single), '--multi', String(multi), '--case-seed', String(seed)];
    execFileSync(PYTHON, ['-m', 'tools.model.evaluation.eval_heldout', ...args], { cwd: ROOT, stdio: ['ignore', 'ignore', 'inherit'] });
  }
  return JSON.parse(fs.readFileSync(file, 'utf8')) as HeldoutCase[];
}

/** eval_heldout.py's norm: each line's trailing spaces and the text's off. */
function norm(s: string): string {
  return s
    .trimEnd()
    .split('\n')
    .map((l) => l.trimEnd())
    .join('\n');
}

/** The network with its forwards counted: a call is a forward (a batch of canvases is one). */
function counted(network: LogitsModel): { network: LogitsModel; forwards: () => number } {
  let forwards = 0;
  const n = network as LogitsModel & Partial<Record<'logitsBatch' | 'proposeBatch', (...a: never[]) => Promise<unknown>>>;
  const wrapped: Record<string, unknown> = {
    vocabSize: network.vocabSize,
    dispose: () => network.dispose(),
    logits: (ids: Int32Array, rows: number[]) => (forwards++, network.logits(ids, rows)),
    forget: (id: number) => network.forget?.(id),
  };
  if (network.propose) wrapped.propose = (ids: Int32Array, r: ProposeRequest) => (forwards++, network.propose!(ids, r));
  if (n.logitsBatch) wrapped.logitsBatch = (b: Int32Array[], r: number[][]) => (forwards++, n.logitsBatch!.call(network, b as never, r as never));
  if (n.proposeBatch) wrapped.proposeBatch = (b: Int32Array[], r: ProposeRequest[]) => (forwards++, n.proposeBatch!.call(network, b as never, r as never));
  return { network: wrapped as unknown as LogitsModel, forwards: () => forwards };
}

interface Tally {
  exact: number;
  forwards: number;
  ms: number;
  /** ms to the first draft. */
  firstMs: number;
  n: number;
}

type Setting = 'fixed' | 'search' | 'oracle';

/** Each case filled the three ways, in turn (so that a change in the machine's load falls on all three). */
async function fillThreeWays(
  model: LoadedModel,
  cases: HeldoutCase[],
  extra: InfillOptions,
  settings: Setting[],
): Promise<Record<string, Record<Setting, Tally>>> {
  const { network, forwards } = counted(model.network);
  const engine = new LocalEngine({ ...model, network });
  const out: Record<string, Record<Setting, Tally>> = {};
  // Each setting once before the timed cases: the first request of a session pays for warming up.
  for (const setting of settings) {
    const c = cases[0];
    for await (const _ of engine.infill(
      { text: c.prefix + c.suffix, holes: [{ start: c.prefix.length, end: c.prefix.length }] },
      { ...extra, lengthSearch: setting === 'search' },
    ));
  }
  // Two generations on unrelated one-line texts: the network keeps the last two first passes for
  // later requests (contextReuse.ts), so each setting then starts as cold as the others, not from
  // the pass the one before it made over the same canvas.
  const coldStart = async () => {
    for (const text of ['a\n', 'b\n']) for await (const _ of engine.infill({ text, holes: [{ start: 1, end: 1, tokens: 1 }] }));
  };
  for (const c of cases) {
    const truth = (await model.tokenizer.encode(c.target)).length;
    for (const setting of settings) {
      await coldStart();
      const hole: Hole = { start: c.prefix.length, end: c.prefix.length, ...(setting === 'oracle' && { tokens: truth }) };
      const before = forwards();
      const t0 = performance.now();
      let fill = '';
      let first = NaN;
      for await (const e of engine.infill(
        { text: c.prefix + c.suffix, holes: [hole] },
        { ...extra, defaultHoleTokens: FIXED, lengthSearch: setting === 'search' },
      )) {
        if (e.type === 'result') fill = e.holes[0].text;
        else if (Number.isNaN(first)) first = performance.now() - t0;
      }
      const t = ((out[c.kind] ??= {} as Record<Setting, Tally>)[setting] ??= { exact: 0, forwards: 0, ms: 0, firstMs: 0, n: 0 });
      t.ms += performance.now() - t0;
      t.firstMs += first;
      t.forwards += forwards() - before;
      t.exact += Number(norm(fill) === norm(c.target));
      t.n++;
    }
  }
  return out;
}

export async function benchLengthSearch(single: number, multi: number, costCases: number): Promise<void> {
  const cases = heldoutCases(0, single, multi);
  const bundled = await loadModelFolder(bundledModelDir());
  const byKind = await fillThreeWays(bundled, cases, {}, ['fixed', 'search', 'oracle']);
  console.log(
    `length search: held-out cursor holes (eval_heldout.py, case seed 0), the bundled model with its model.json sampler; ` +
      `fixed: ${FIXED} masks cut at the end; search: lengths ${candidateLengths(FIXED).join(', ')}; oracle: the target's own length`,
  );
  console.log('  holes        setting  exact   forwards/hole  ms/hole  ms to the first draft');
  for (const [kind, row] of Object.entries(byKind)) {
    for (const setting of ['fixed', 'search', 'oracle'] as const) {
      const t = row[setting];
      console.log(
        `  ${`${kind} (${t.n})`.padEnd(12)} ${setting.padEnd(7)}  ${(t.exact / t.n).toFixed(3)}  ${(t.forwards / t.n).toFixed(1).padStart(13)}  ${(t.ms / t.n).toFixed(0).padStart(7)}  ${(t.firstMs / t.n).toFixed(0).padStart(21)}`,
      );
    }
    const [f, s, o] = (['fixed', 'search', 'oracle'] as const).map((k) => row[k]);
    const gap = o.exact - f.exact;
    console.log(
      `ratio: length search, ${kind}-line: share of the fixed-to-oracle exact-match gap recovered: ${gap > 0 ? ((s.exact - f.exact) / gap).toFixed(3) : `none to recover (gap ${gap} cases)`} (goal >= 0.5)`,
    );
    console.log(
      `ratio: length search / fixed, ${kind}-line: forwards per hole: ${(s.forwards / f.forwards).toFixed(3)} (goal <= 2); wall time: ${(s.ms / f.ms).toFixed(3)}; time to the first draft: ${(s.firstMs / f.firstMs).toFixed(3)}`,
    );
  }
  await bundled.network.dispose();
  if (costCases === 0) return;

  const costModel = await loadModelFolder(prepareCostModel());
  const some = cases.filter((c) => c.kind === 'single').slice(0, costCases);
  // As an editor's window: the file around the hole up to 256 tokens (the full pass dominates past that).
  const cost = (await fillThreeWays(costModel, some, { contextTokens: 256 }, ['fixed', 'search'])).single;
  console.log(
    `length search's cost on ${path.basename(COST_MODEL)} (Open-dCoder-0.5B's shape, random weights: its choices mean nothing), ` +
      `${some.length} single-line holes, 256 tokens of context, its model.json sampler:`,
  );
  for (const setting of ['fixed', 'search'] as const) {
    const t = cost[setting];
    console.log(
      `  ${setting.padEnd(7)} ${(t.forwards / t.n).toFixed(1)} forwards/hole, ${(t.ms / t.n).toFixed(0)} ms/hole, ${(t.firstMs / t.n).toFixed(0)} ms to the first draft`,
    );
  }
  console.log(
    `ratio: length search / fixed on the 0.5B int4 model: forwards ${(cost.search.forwards / cost.fixed.forwards).toFixed(3)}, wall time ${(cost.search.ms / cost.fixed.ms).toFixed(3)}, ` +
      `time to the first draft ${(cost.search.firstMs / cost.fixed.firstMs).toFixed(3)}`,
  );
  await costModel.network.dispose();
}

/** The 0.5B-shaped int4 folder: a random checkpoint of that shape through the builder (`models convert`), once per builder version. */
function prepareCostModel(): string {
  const stamp = path.join(COST_MODEL, 'built.json');
  if (fs.existsSync(stamp) && JSON.parse(fs.readFileSync(stamp, 'utf8')).builder === BUILDER_VERSION) return COST_MODEL;
  console.log(`writing ${COST_MODEL} (random weights of Qwen2.5-0.5B's shape built as int4; once per builder change)`);
  const ck = `${COST_MODEL}-checkpoint`;
  fs.rmSync(ck, { recursive: true, force: true });
  writeCheckpoint(ck, SHAPES['0.5b'], false);
  convertCheckpoint(ck, COST_MODEL, { precision: 'int4', blockSize: 32, cache: true, special: {}, overwrite: true, maxContext: 2048 });
  fs.rmSync(ck, { recursive: true, force: true });
  // The synthetic tokenizer's three added tokens come after its 256 bytes (tokenizers numbers them
  // so, whatever ids its file gives): model.json is pointed at those, so that the folder loads.
  const json = path.join(COST_MODEL, 'model.json');
  const config = JSON.parse(fs.readFileSync(json, 'utf8'));
  Object.assign(config, { eosTokenId: 256, bosTokenId: 256, maskTokenId: 257, padTokenId: 258 });
  fs.writeFileSync(json, JSON.stringify(config, null, 2));
  fs.writeFileSync(stamp, JSON.stringify({ builder: BUILDER_VERSION }));
  return COST_MODEL;
}

/** One candidate's state after each round, and its fill. */
interface Recorded {
  length: number;
  exact: boolean;
  rounds: Candidate[];
}

/**
 * How the search's rule was chosen: on case seed 1 (not the reported cases), each candidate of
 * the grid decoded to its end and recorded round by round; each score and each stopping rule is
 * then replayed on the record: which candidate it keeps, and after how many rounds.
 */
export async function validateLengthSearch(single: number, multi: number): Promise<void> {
  const model = await loadModelFolder(bundledModelDir());
  const sampler = resolveSampler(model.config.sampler);
  const lengths = candidateLengths(FIXED);
  const records: { kind: string; candidates: Recorded[] }[] = [];
  for (const c of heldoutCases(1, single, multi)) {
    const canvas = await canvasFor(model, c.prefix + c.suffix, [{ start: c.prefix.length, end: c.prefix.length }], { defaultHoleTokens: FIXED });
    const g: HoleGeneration = { model, ids: canvas.ids, holes: canvas.holes, sampler, stops: 'cut' };
    const rounds = new Map<number, Candidate[]>(lengths.map((l) => [l, []]));
    const search = searchLength(g, {
      hole: 0,
      lengths,
      policy: { score: () => 0, stop: () => [] },
      everyFill: true,
      observe: (_, candidates) => {
        for (const k of candidates) if (!k.finished) rounds.get(k.length)!.push({ ...k, committed: new Map(k.committed) });
      },
    });
    let step = await search.next();
    while (!step.done) step = await search.next();
    const candidates = step.value.candidates!.map(({ candidate, fills }) => ({
      length: candidate.length,
      exact: norm(fills[0].text) === norm(c.target),
      rounds: rounds.get(candidate.length)!,
    }));
    records.push({ kind: c.kind, candidates });
  }
  await model.network.dispose();
  const scores: Record<string, (c: Candidate) => number> = {
    'mean log-probability, end included': meanLogProbability,
    'mean log-probability, end left out': (c) => meanLogProbability({ ...c, committed: new Map([...c.committed].filter(([o]) => o !== c.end)) }),
    'sum of log-probabilities': (c) => [...c.committed].filter(([o]) => c.end === null || o <= c.end).reduce((a, [, l]) => a + l, 0),
  };
  const halvingFrom = (first: number): SearchPolicy => ({
    score: meanLogProbability,
    stop: (round, live) =>
      round < first || live.length <= 1 ? [] : [...live].sort((a, b) => meanLogProbability(b) - meanLogProbability(a)).slice(Math.ceil(live.length / 2)),
  });
  console.log(`length search, validation (case seed 1, ${single} single-line and ${multi} multi-line holes), every candidate decoded to its end:`);
  for (const kind of ['single', 'multi']) {
    const rows = records.filter((r) => r.kind === kind);
    const rate = (pick: (r: (typeof rows)[number]) => boolean) => (rows.filter(pick).length / rows.length).toFixed(3);
    console.log(
      `  ${kind}-line (${rows.length}): fixed ${rate((r) => r.candidates.at(-1)!.exact)}, some candidate exact ${rate((r) => r.candidates.some((c) => c.exact))}`,
    );
    for (const [name, score] of Object.entries(scores)) {
      console.log(`    chosen by ${name.padEnd(36)} ${rate((r) => r.candidates.reduce((a, b) => (score(last(b)) > score(last(a)) ? b : a)).exact)}`);
    }
    for (const [name, policy] of [
      ['no stopping', { score: meanLogProbability, stop: () => [] }],
      ['halving from round 1', halvingFrom(1)],
      ['halving from round 2 (the rule)', HALVING],
      ['halving from round 3', halvingFrom(3)],
    ] as const) {
      const replays = rows.map((r) => replay(r.candidates, policy));
      const exact = replays.filter((x) => x.exact).length / rows.length;
      const rounds = replays.reduce((a, x) => a + x.rounds, 0) / rows.length;
      console.log(`    ${name.padEnd(46)} exact ${exact.toFixed(3)}, ${rounds.toFixed(1)} rounds a hole (and the longest candidate's first step, alone)`);
    }
  }
}

function last(r: Recorded): Candidate {
  return r.rounds.at(-1)!;
}

/** A stopping rule on a record: the candidate it keeps, and the rounds run until the survivors finish. */
function replay(candidates: Recorded[], policy: SearchPolicy): { exact: boolean; rounds: number } {
  const at = (r: Recorded, round: number) => r.rounds[Math.min(round, r.rounds.length) - 1];
  let live = candidates;
  let round = 0;
  while (live.some((r) => r.rounds.length > round)) {
    round++;
    const stopped = new Set(
      policy.stop(
        round,
        live.map((r) => at(r, round)),
      ),
    );
    live = live.filter((r) => !stopped.has(at(r, round)));
  }
  const chosen = live.reduce((a, b) => (policy.score(at(b, round)) > policy.score(at(a, round)) ? b : a));
  return { exact: chosen.exact, rounds: round };
}
