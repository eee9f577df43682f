/**
 * The engine's speed as ratios measured in one run (absolute times on a shared machine are
 * noisy; two sides of a ratio are measured back to back).  The models it needs are built once
 * into models/.bench (benchModels.ts).
 */
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as ort from 'onnxruntime-node';
import { bundledModelDir, canvasFor, CACHE_REFRESH, LocalEngine, loadModelFolder, parseMarkers, readModelConfig, resolveSampler } from '../core';
import { OnnxLogitsModel } from '../core/onnxModel';
import { denoise, prefill, spanOf } from '../core/sampling/denoise';
import { proposeFromLogits } from '../core/sampling/propose';
import { ProposeRequest } from '../core/logitsModel';
import { seededRng } from '../core/sampling/rng';
import { prepareBenchModels } from './benchModels';
import { ORDER_SNIPPET } from './orderSnippet';
import { SHAPES } from './syntheticCheckpoint';

const ROOT = path.resolve(__dirname, '..');
const BENCH = path.join(ROOT, 'models', '.bench');
const PYTHON = process.env.PYTHON ?? '/usr/bin/python3';
/** The long model's shape (syntheticCheckpoint.ts). */
const LONG = {
  layers: SHAPES.long.num_hidden_layers,
  hidden: SHAPES.long.hidden_size,
  heads: SHAPES.long.num_attention_heads,
  kvHeads: SHAPES.long.num_key_value_heads,
  inter: SHAPES.long.intermediate_size,
  vocab: SHAPES.long.vocab_size,
};
const HOLE = 32;

const ratio = (what: string, value: number, goal = '') => console.log(`ratio: ${what}: ${value.toFixed(3)}${goal ? ` (goal ${goal})` : ''}`);

/**
 * The median ms of each run over `repeats` rounds after one warm-up, the runs taken in turn within a
 * round (so the two sides of a ratio see the same load); a run that returns a number times itself
 * (its set-up left out).
 */
async function timedInTurn(runs: (() => Promise<unknown>)[], repeats: number): Promise<number[]> {
  for (const run of runs) await run();
  const times = runs.map(() => [] as number[]);
  for (let r = 0; r < repeats; r++) {
    for (const [i, run] of runs.entries()) {
      const t0 = performance.now();
      const own = await run();
      times[i].push(typeof own === 'number' ? own : performance.now() - t0);
    }
  }
  return times.map((t) => t.sort((a, b) => a - b)[Math.floor(t.length / 2)]);
}

const timed = async (run: () => Promise<unknown>, repeats: number) => (await timedInTurn([run], repeats))[0];

/** A canvas `length` long with a hole of HOLE masks at three quarters (a cursor hole in a long file). */
function holeCanvas(length: number, vocab: number, mask: number) {
  const ids = Int32Array.from({ length }, (_, i) => (i * 7919) % Math.min(vocab - 8, 4096));
  const start = Math.floor(length * 0.75) - HOLE;
  const hole = Array.from({ length: HOLE }, (_, k) => start + k);
  for (const p of hole) ids[p] = mask;
  const span = spanOf(hole, true);
  const request = (cache?: ProposeRequest['cache']): ProposeRequest => ({
    sampler: resolveSampler({ alg: 'entropy' }),
    queries: hole.map((p) => ({ row: p - 1, allowed: null, seed: p })),
    cache,
  });
  return { ids, hole, span, request };
}

async function open(dir: string) {
  const model = await OnnxLogitsModel.load(dir, readModelConfig(dir));
  const sample = async (l: Float32Array, r: ProposeRequest) => proposeFromLogits(l, model.vocabSize, r);
  const config = readModelConfig(dir);
  /**
   * The three passes over a canvas `length` long, as runs: a full step (no cache), a refresh (full,
   * keeping the cache as entry `length`) and a step over that cache (so it runs after a refresh).
   */
  const passRuns = (length: number) => {
    const c = holeCanvas(length, model.vocabSize, config.maskTokenId);
    const run = (request: ProposeRequest) => () => model.proposeBatch([c.ids], [request], sample);
    return {
      full: run(c.request()),
      refresh: run(c.request({ id: length, span: c.span, refresh: true })),
      cached: run(c.request({ id: length, span: c.span, refresh: false })),
    };
  };
  /** ms of each pass at each length, the lengths in turn. */
  const steps = async (lengths: number[], repeats: number) => {
    const runs = lengths.map(passRuns);
    const full = await timedInTurn(
      runs.map((r) => r.full),
      repeats,
    );
    const refresh = await timedInTurn(
      runs.map((r) => r.refresh),
      repeats,
    );
    const cached = await timedInTurn(
      runs.map((r) => r.cached),
      repeats,
    );
    for (const length of lengths) model.forget(length);
    return lengths.map((_, i) => ({ full: full[i], refresh: refresh[i], cached: cached[i] }));
  };
  /**
   * A whole generation of the hole as the engine runs it (denoise, the model's sampler with the
   * default refresh rule) at each length, the lengths in turn: ms a step, its full passes included,
   * and the passes it ran.  Each timed generation comes after, over the canvas a keystroke earlier
   * (one token typed before the hole, the window moved on by one): `prefill`, the editor's read of a
   * file as it came into view; `keystroke`, the editor's request before; `cold`, nothing (the
   * repeats' canvases are the same, so reuse is off).
   */
  const generation = async (lengths: number[], repeats: number, earlier: 'cold' | 'prefill' | 'keystroke') => {
    // One file's requests: the keystroke and prefill runs name it, so that they may start from each other.
    const sampler = resolveSampler(config.sampler, { contextReuse: earlier !== 'cold', reuseKey: earlier === 'cold' ? null : 'bench.py' });
    const runs = lengths.map((length) => {
      const c = holeCanvas(length, model.vocabSize, config.maskTokenId);
      const input = (ids: Int32Array) => ({
        network: model,
        ids: Int32Array.from(ids),
        masked: c.hole,
        shifted: true,
        maskTokenId: config.maskTokenId,
        sampler,
      });
      const typed = Int32Array.from([c.ids[0], ...c.ids.subarray(2, c.hole[0]), 11, ...c.ids.subarray(c.hole[0])]);
      const seen = { steps: 0, passes: { full: 0, cached: 0, reused: 0 } };
      const run = async () => {
        if (earlier === 'prefill') await prefill(input(c.ids));
        if (earlier === 'keystroke') for await (const _ of denoise(input(c.ids)));
        const before = { ...model.passes };
        const t0 = performance.now();
        for await (const step of denoise(input(earlier === 'cold' ? c.ids : typed))) seen.steps = step.step;
        const spent = performance.now() - t0;
        seen.passes = { full: model.passes.full - before.full, cached: model.passes.cached - before.cached, reused: model.passes.reused - before.reused };
        return spent;
      };
      return { run, seen };
    });
    const ms = await timedInTurn(
      runs.map((r) => r.run),
      repeats,
    );
    return runs.map(({ seen }, i) => ({ msPerStep: ms[i] / seen.steps, ...seen, threshold: sampler.threshold }));
  };
  return { model, passRuns, steps, generation };
}

async function contextCache(repeats: number) {
  const { model, steps, generation } = await open(path.join(BENCH, 'long'));
  console.log(
    `context cache: random ${LONG.layers}-layer model (hidden ${LONG.hidden}, vocab ${LONG.vocab}), a hole of ${HOLE} at 3/4 of the canvas, ms a step (median of ${repeats})`,
  );
  console.log(
    `  context  full pass  refresh  over the cache  a whole generation (cache refresh ${CACHE_REFRESH}, threshold decoding), from cold / after a prefill / after a keystroke`,
  );
  type Whole = Awaited<ReturnType<typeof generation>>[number];
  const at: Record<number, Awaited<ReturnType<typeof steps>>[number] & Record<'cold' | 'prefill' | 'keystroke', Whole>> = {};
  const passes = (w: Whole) => `${w.passes.full} full, ${w.passes.reused} over an earlier canvas, ${w.passes.cached - w.passes.reused} over the cache`;
  const lengths = [256, 2048];
  const kinds = await steps(lengths, repeats);
  const cold = await generation(lengths, repeats, 'cold');
  const prefilled = await generation(lengths, repeats, 'prefill');
  const keystroke = await generation(lengths, repeats, 'keystroke');
  for (const [i, length] of lengths.entries()) {
    const s = (at[length] = { ...kinds[i], cold: cold[i], prefill: prefilled[i], keystroke: keystroke[i] });
    const wholes = [s.cold, s.prefill, s.keystroke];
    console.log(
      `  ${String(length).padStart(7)}  ${s.full.toFixed(1).padStart(9)}  ${s.refresh.toFixed(1).padStart(7)}  ${s.cached.toFixed(1).padStart(14)}  ${wholes.map((w) => w.msPerStep.toFixed(1)).join(' / ')} a step over ${wholes.map((w) => w.steps).join(' / ')} steps (threshold ${s.cold.threshold}; ${wholes.map(passes).join(' / ')})`,
    );
  }
  console.log(
    "  the goal is on a step with the cache on: a whole generation's time over its steps, its first pass included (what a fill costs), " +
      "from cold (a file no pass has read), after a prefill (the extension reads a file's canvas as it comes into view) and after a keystroke (the request before); the steady step over the cache is printed beside them",
  );
  ratio('step at 2048 / at 256 tokens of context, cache off (every step a full pass)', at[2048].full / at[256].full);
  for (const [earlier, what] of [
    ['cold', 'from cold'],
    ['prefill', "after a prefill (a file's first request)"],
    ['keystroke', 'after a keystroke'],
  ] as const)
    ratio(`step at 2048 / at 256, cache on, a whole generation over its steps, ${what}`, at[2048][earlier].msPerStep / at[256][earlier].msPerStep, '<= 1.5');
  ratio('step at 2048 / at 256, the steady step over the cache alone', at[2048].cached / at[256].cached);
  ratio('at 2048, cache off / cache on (a full pass / a whole generation over its steps, from cold)', at[2048].full / at[2048].cold.msPerStep, '>= 3');
  await flops(model, repeats);
  await model.dispose();
}

/** The forward's GFLOP/s over what onnxruntime's MatMul reaches at the same shapes. */
async function flops(model: OnnxLogitsModel, repeats: number) {
  const { layers, hidden, heads, kvHeads, inter, vocab } = LONG;
  const kv = (hidden / heads) * kvHeads;
  const shapes: [number, number, number][] = [
    [hidden, hidden, 2],
    [hidden, kv, 2],
    [hidden, inter, 2],
    [inter, hidden, 1],
  ]; // [k, n, count a layer]
  const sessions = new Map<string, ort.InferenceSession>();
  const matmul = async (m: number, k: number, n: number) => {
    const key = `${k}x${n}`;
    if (!sessions.has(key)) {
      sessions.set(
        key,
        await ort.InferenceSession.create(path.join(BENCH, `matmul_${key}.onnx`), {
          intraOpNumThreads: os.availableParallelism(),
          graphOptimizationLevel: 'all',
        }),
      );
    }
    const a = new ort.Tensor(
      'float32',
      Float32Array.from({ length: m * k }, (_, i) => ((i * 13) % 7) - 3),
      [m, k],
    );
    return timed(() => sessions.get(key)!.run({ a }), repeats);
  };
  for (const length of [256, 2048]) {
    let linear = 0;
    let linearMs = 0;
    for (const [k, n, count] of shapes) {
      linear += 2 * length * k * n * count;
      linearMs += (await matmul(length, k, n)) * count;
    }
    linear += (2 * HOLE * hidden * vocab) / layers;
    linearMs += (await matmul(HOLE, hidden, vocab)) / layers;
    const limit = linear / linearMs / 1e6;
    const c = holeCanvas(length, vocab, readModelConfig(path.join(BENCH, 'long')).maskTokenId);
    const forwardMs = await timed(() => model.proposeBatch([c.ids], [c.request()], async () => []), repeats);
    const forwardFlops =
      layers * (2 * length * (2 * hidden * hidden + 2 * hidden * kv + 3 * hidden * inter) + 4 * length * length * hidden) + 2 * HOLE * hidden * vocab;
    const reached = forwardFlops / forwardMs / 1e6;
    console.log(`  forward at ${length}: ${reached.toFixed(1)} GFLOP/s; onnxruntime's MatMul at its shapes: ${limit.toFixed(1)} GFLOP/s`);
    ratio(`forward GFLOP/s / MatMul GFLOP/s at ${length} tokens`, reached / limit, '>= 0.5');
  }
  await Promise.all([...sessions.values()].map((s) => s.release()));
}

/** Deciding in the graph against the forward, and the sampler it replaces, at two vocabularies. */
async function deciding(repeats: number) {
  for (const dir of [bundledModelDir(), path.join(BENCH, 'qwen-vocab')]) {
    const { model } = await open(dir);
    const vocab = model.vocabSize;
    const decide = await ort.InferenceSession.create(path.join(BENCH, `decide_${vocab}.onnx`), { intraOpNumThreads: os.availableParallelism() });
    const c = holeCanvas(Math.min(256, readModelConfig(dir).maxContext), vocab, readModelConfig(dir).maskTokenId);
    const forwardMs = await timed(() => model.proposeBatch([c.ids], [c.request()], async () => []), repeats);
    const rng = seededRng(4);
    const logits = Float32Array.from({ length: HOLE * vocab }, () => rng() * 6 - 3);
    const decideMs = await timed(() => decide.run({ logits: new ort.Tensor('float32', logits, [HOLE, vocab]) }), repeats);
    const request = c.request();
    request.queries.forEach((q, k) => (q.row = k));
    const samplerMs = await timed(async () => proposeFromLogits(Float32Array.from(logits), vocab, request), repeats);
    console.log(
      `  vocab ${vocab}: forward (${HOLE} rows asked) ${forwardMs.toFixed(1)} ms, deciding in the graph ${decideMs.toFixed(2)} ms, the sampler on the logits ${samplerMs.toFixed(2)} ms`,
    );
    ratio(`deciding / forward at vocab ${vocab}`, decideMs / forwardMs, vocab > 100000 ? '< 0.03' : '');
    ratio(`sampler at temperature 0 / forward at vocab ${vocab} (what deciding replaces)`, samplerMs / forwardMs);
    await model.dispose();
    await decide.release();
  }
}

/**
 * Time to the first draft after the canvas is built, over the forward that draft needs (the
 * engine's first step: the same canvas, rows and fetched outputs, the cache's keys and values
 * included), measured back to back in each round; and the engine against torch.
 */
async function engineFigures(fp32: string, repeats: number) {
  const model = await loadModelFolder(fp32);
  const engine = new LocalEngine(model);
  const request = parseMarkers(ORDER_SNIPPET);
  // One generation's steps, as the ratio below is about the engine's own time around a forward (the length search's is in its section).
  const options = { defaultHoleTokens: 24, lengthSearch: false };
  const canvas = await canvasFor(model, request.text, request.holes, options);
  const masked = canvas.holes.flatMap((h) => Array.from({ length: h.length }, (_, k) => h.start + k));
  const shifted = model.config.logitsShifted;
  const sampler = resolveSampler(model.config.sampler);
  const firstStep = (cache?: ProposeRequest['cache']): ProposeRequest => ({
    sampler,
    queries: masked.map((p) => ({ row: shifted ? Math.max(0, p - 1) : p, allowed: null, seed: p })),
    cache,
  });
  const elapsed = async (run: () => Promise<unknown>) => {
    const t0 = performance.now();
    await run();
    return performance.now() - t0;
  };
  const rounds: { draft: number; canvas: number; forward: number; bare: number }[] = [];
  // A round is a few forwards of the bundled model: four times the repeats, for a steadier median.
  for (let r = 0; r <= 4 * repeats; r++) {
    const t0 = performance.now();
    let draft = NaN;
    for await (const e of engine.infill(request, options)) {
      if (e.type !== 'draft') continue;
      draft = performance.now() - t0;
      break;
    }
    const round = {
      draft,
      canvas: await elapsed(() => canvasFor(model, request.text, request.holes, options)),
      forward: await elapsed(() => model.network.propose!(canvas.ids, firstStep({ id: -1, span: spanOf(masked, shifted), refresh: true }))),
      bare: await elapsed(() => model.network.propose!(canvas.ids, firstStep())),
    };
    model.network.forget!(-1);
    if (r > 0) rounds.push(round);
  }
  const median = (f: (x: (typeof rounds)[number]) => number) => rounds.map(f).sort((a, b) => a - b)[Math.floor(rounds.length / 2)];
  console.log(
    `first draft ${median((x) => x.draft).toFixed(1)} ms, of which the canvas ${median((x) => x.canvas).toFixed(1)} ms; ` +
      `its forward ${median((x) => x.forward).toFixed(1)} ms (the first step's: same canvas, rows and outputs, the cache's keys and values included), ` +
      `${median((x) => x.bare).toFixed(1)} ms without the cache's (median of ${rounds.length} rounds)`,
  );
  ratio(
    'time to first draft (after the canvas) / its forward, median of the rounds',
    median((x) => (x.draft - x.canvas) / x.forward),
    '<= 1.1',
  );
  ratio(
    "first step's forward, keeping the cache / without it",
    median((x) => x.forward / x.bare),
  );

  // The same cases through the engine and through tools/model/evaluation/dream_decode.py, one token a step.
  const cases = ORDER_SNIPPET.split('\n')
    .map((line, i, lines) => ({ line, i, lines }))
    .filter(({ line }) => line.trim() && !line.includes('<|hole|>'))
    .slice(0, 6)
    .map(({ i, lines }) => {
      const prefix = lines.slice(0, i).join('\n').replace('<|hole|>', 'return 0') + '\n';
      const suffix =
        '\n' +
        lines
          .slice(i + 1)
          .join('\n')
          .replace('<|hole|>', 'return 0');
      return { prefix, suffix, hole: 24 };
    });
  const file = path.join(BENCH, 'reference-cases.json');
  fs.writeFileSync(file, JSON.stringify(cases));
  const torch = JSON.parse(execFileSync(PYTHON, ['-m', 'tools.model.evaluation.bench_reference', fp32, file], { cwd: ROOT, encoding: 'utf8' }));
  for (const cacheRefresh of [1, CACHE_REFRESH]) {
    let steps = 0;
    const t0 = performance.now();
    for (const c of cases) {
      for await (const e of engine.infill(
        { text: c.prefix + c.suffix, holes: [{ start: c.prefix.length, end: c.prefix.length, tokens: c.hole }] },
        { threshold: null, cacheRefresh },
      )) {
        if (e.type === 'result') steps += e.stats.steps;
      }
    }
    const ms = (performance.now() - t0) / steps;
    console.log(
      `  engine, cache refresh ${cacheRefresh}: ${ms.toFixed(2)} ms a step over ${steps} steps; torch reference ${torch.msPerForward.toFixed(2)} ms over ${torch.forwards}`,
    );
    ratio(
      `PyTorch reference / engine, ms a step, one token a step${cacheRefresh > 1 ? `, cache refresh ${cacheRefresh}` : ', no cache'}`,
      torch.msPerForward / ms,
      '>= 2',
    );
  }
  await model.network.dispose();
}

async function int8Speed(fp32: string, int8: string, repeats: number) {
  const a = await open(fp32);
  const b = await open(int8);
  const [ra, rb] = [a.passRuns(256), b.passRuns(256)];
  const full = await timedInTurn([ra.full, rb.full], repeats);
  await ra.refresh(); // the cache the steps over it read
  await rb.refresh();
  const cached = await timedInTurn([ra.cached, rb.cached], repeats);
  ratio('int8 / fp32 bundled model, full step at 256', full[1] / full[0]);
  ratio('int8 / fp32 bundled model, step over the cache', cached[1] / cached[0]);
  a.model.forget(256);
  b.model.forget(256);
  await Promise.all([a.model.dispose(), b.model.dispose()]);
}

/** Exact match on held-out cases (tools/model/evaluation/eval_heldout.py through the engine; case seed 0, never numpy). */
function heldout(fp32: string, int8: string, single: number, multi: number) {
  const threshold = readModelConfig(fp32).sampler.threshold;
  if (threshold === null || threshold === undefined)
    throw new Error(`${fp32}/model.json sets no sampler threshold: the held-out section compares it with one token a step`);
  type Scores = {
    single: { n: number; exact: number; edit_sim: number };
    multi: { n: number; exact: number; edit_sim: number };
    tokens_per_step?: number;
    same_fills_as_first?: { share: number };
    ms_median?: { request: number; first_draft: number; request_alone: number; first_draft_alone: number };
  };
  const run = (folder: string, refreshes: number[], extra: string[] = []) => {
    const out = path.join(BENCH, `heldout-${path.basename(folder)}${extra.length ? '-reuse' : ''}.json`);
    execFileSync(
      PYTHON,
      [
        '-m',
        'tools.model.evaluation.eval_heldout',
        '--engine',
        folder,
        '--single',
        String(single),
        '--multi',
        String(multi),
        '--thresholds',
        String(threshold),
        '--cache-refresh',
        refreshes.join(','),
        '--json',
        out,
        ...extra,
      ],
      { cwd: ROOT, stdio: ['ignore', 'ignore', 'inherit'] },
    );
    return JSON.parse(fs.readFileSync(out, 'utf8')).results as Record<string, Scores>;
  };
  const exact = (r: Scores) => (r.single.exact * r.single.n + r.multi.exact * r.multi.n) / (r.single.n + r.multi.n);
  const fp = run(fp32, [1, CACHE_REFRESH]);
  const q = run(int8, [CACHE_REFRESH]);
  const [f, i] = [path.basename(fp32), path.basename(int8)];
  console.log(`held-out cases: ${single} single-line, ${multi} multi-line (eval_heldout.py, case seed 0); exact match, both kinds together:`);
  for (const how of ['1 token/step', `threshold ${threshold}`]) {
    const off = fp[`${f}, cache refresh 1, ${how}`];
    const on = fp[`${f}, cache refresh ${CACHE_REFRESH}, ${how}`];
    const int8On = q[`${i}, ${how}`];
    console.log(
      `  ${how}: cache off ${exact(off).toFixed(3)}, cache on (refresh ${CACHE_REFRESH}) ${exact(on).toFixed(3)}, int8 with cache ${exact(int8On).toFixed(3)}`,
    );
    ratio(`exact-match change the cache costs, ${how} (points)`, 100 * (exact(on) - exact(off)), '>= -1');
    ratio(`fills identical with the cache and without, ${how}`, on.same_fills_as_first?.share ?? NaN);
    ratio(`exact-match change int8 / fp32, ${how} (points)`, 100 * (exact(int8On) - exact(on)));
  }
  const one = fp[`${f}, cache refresh ${CACHE_REFRESH}, 1 token/step`];
  const thr = fp[`${f}, cache refresh ${CACHE_REFRESH}, threshold ${threshold}`];
  ratio(`tokens decided a forward, threshold ${threshold} / one token a step`, (thr.tokens_per_step ?? NaN) / (one.tokens_per_step ?? NaN));
  ratio(`exact-match change, threshold ${threshold} against one token a step (points)`, 100 * (exact(thr) - exact(one)));

  // Context reuse after random edit histories: each case asked after EDITS requests on earlier
  // versions of its text (eval_heldout.py edit_history), against the same case asked alone.
  const reuse = run(fp32, [CACHE_REFRESH], ['--context-reuse', 'off,on', '--edit-history', String(EDITS)]);
  const sim = (r: Scores) => (r.single.edit_sim * r.single.n + r.multi.edit_sim * r.multi.n) / (r.single.n + r.multi.n);
  console.log(`context reuse after ${EDITS} random edits (cases one at a time, cache refresh ${CACHE_REFRESH}):`);
  for (const how of ['1 token/step', `threshold ${threshold}`]) {
    const off = reuse[`${f}, no context reuse, ${how}`];
    const on = reuse[`${f}, ${EDITS} random edits after, context reused, ${how}`];
    const ms = on.ms_median!;
    console.log(
      `  ${how}: exact ${exact(off).toFixed(3)} alone, ${exact(on).toFixed(3)} reused; edit similarity ${sim(off).toFixed(3)} / ${sim(on).toFixed(3)}; ` +
        `median ms (the case asked alone right after) a request ${ms.request_alone.toFixed(1)} / ${ms.request.toFixed(1)}, to the first draft ${ms.first_draft_alone.toFixed(1)} / ${ms.first_draft.toFixed(1)}`,
    );
    ratio(`exact-match change context reuse costs after ${EDITS} edits, ${how} (points)`, 100 * (exact(on) - exact(off)));
    ratio(`edit-similarity change context reuse costs after ${EDITS} edits, ${how} (points)`, 100 * (sim(on) - sim(off)));
    ratio(`fills identical with context reuse and without, ${how}`, on.same_fills_as_first?.share ?? NaN);
    ratio(`time to the first draft, reused / alone, ${how}`, ms.first_draft / ms.first_draft_alone);
    ratio(`time of a request, reused / alone, ${how}`, ms.request / ms.request_alone);
  }
}

/** Requests before each held-out case in the context-reuse figures. */
const EDITS = 3;

export async function benchRatios(repeats: number, heldoutCases: { single: number; multi: number }): Promise<void> {
  const { fp32, int8 } = prepareBenchModels(BENCH, ROOT, PYTHON);
  await contextCache(repeats);
  console.log('deciding in the graph, ms (median):');
  await deciding(repeats);
  await engineFigures(fp32, repeats);
  await int8Speed(fp32, int8, repeats);
  if (heldoutCases.single + heldoutCases.multi > 0) heldout(fp32, int8, heldoutCases.single, heldoutCases.multi);
}
