import * as assert from 'node:assert/strict';
import * as path from 'node:path';
import { ALGS, Alg, DraftEvent, InfillError, InfillOptions, LocalEngine, parseMarkers, readModelConfig, resolveSampler } from '../../../src/core';
import { LoadedModel } from '../../../src/core/modelFolder';
import { OnnxLogitsModel } from '../../../src/core/onnxModel';
import { proposeFromLogits } from '../../../src/core/sampling/propose';
import { Proposal, ProposeRequest } from '../../../src/core/logitsModel';
import { loadTokenizer } from '../../../src/core/tokenizer';
import { collect } from '../support/events';
import { TINY_MODEL as TINY } from '../support/fixtures';

const MASK = 256;

/** A canvas of text with masks at 20..29. */
const canvas = () => Int32Array.from({ length: 48 }, (_, i) => (i >= 20 && i < 30 ? MASK : 97 + (i % 23)));

function request(alg: Alg, positions: number[], cache?: ProposeRequest['cache'], temperature = 0): ProposeRequest {
  return { sampler: resolveSampler({ alg, temperature, seed: 3 }), queries: positions.map((p) => ({ row: p - 1, allowed: null, seed: p })), cache };
}

const close = (a: Proposal[], b: Proposal[]) => {
  assert.deepEqual(
    a.map((p) => p.token),
    b.map((p) => p.token),
  );
  a.forEach((p, i) => {
    assert.ok(Math.abs(p.prob - b[i].prob) < 1e-5, `prob ${p.prob} vs ${b[i].prob}`);
    assert.ok(Math.abs(p.score - b[i].score) < 1e-4, `score ${p.score} vs ${b[i].score}`);
  });
};

describe('context cache and deciding in the graph (tiny model)', () => {
  let model: OnnxLogitsModel;
  const sampleHere = async (logits: Float32Array, r: ProposeRequest) => proposeFromLogits(logits, 260, r);
  before(async () => (model = await OnnxLogitsModel.load(TINY, readModelConfig(TINY))));
  after(() => model.dispose());

  it('decides at temperature 0 as the sampler does on the same logits, for every algorithm', async () => {
    const ids = canvas();
    const positions = [20, 21, 25, 29];
    for (const alg of ALGS) {
      const logits = await model.logits(
        ids,
        positions.map((p) => p - 1),
      );
      const sampled = proposeFromLogits(logits, 260, request(alg, positions));
      let called = 0;
      const [decided] = await model.proposeBatch([ids], [request(alg, positions)], async (l, r) => (called++, sampleHere(l, r)));
      assert.equal(called, 0, `${alg}: the logits were not read`);
      close(decided, sampled);
    }
  });

  it("says a forward onnxruntime found no memory for in words, naming what to lower, not as the runtime's message", async () => {
    const arena =
      "Non-zero status code returned while running MatMul node. Name:'/layers.0/mlp/up_proj/MatMul' Status Message: " +
      '/onnxruntime_src/onnxruntime/core/framework/bfc_arena.cc:359 void* onnxruntime::BFCArena::AllocateRawInternal(size_t, bool, onnxruntime::Stream*, bool, onnxruntime::WaitNotificationFn) Failed to allocate memory for requested buffer of size 8589934592\n';
    const session = (model as unknown as { session: { run: unknown } }).session;
    const run = session.run;
    session.run = async () => {
      throw new Error(arena);
    };
    try {
      await assert.rejects(
        model.logits(canvas(), [19]),
        (e: Error) =>
          e instanceof InfillError &&
          /^the model ran out of memory for a forward over a canvas of 48 tokens: lower contextTokens, or use a smaller model \(onnxruntime: Failed to allocate memory for requested buffer of size 8589934592\)$/.test(
            e.message,
          ),
      );
      session.run = async () => {
        throw new Error('some other failure');
      };
      await assert.rejects(model.logits(canvas(), [19]), (e: Error) => !(e instanceof InfillError) && e.message === 'some other failure');
    } finally {
      session.run = run;
    }
  });

  it('samples from the logits with a temperature or a narrowed row', async () => {
    const ids = canvas();
    let called = 0;
    const count = async (l: Float32Array, r: ProposeRequest) => (called++, sampleHere(l, r));
    await model.proposeBatch([ids], [request('entropy', [20, 21], undefined, 0.7)], count);
    const narrowed = request('entropy', [20, 21]);
    narrowed.queries[0].allowed = new Uint8Array(260).fill(1);
    await model.proposeBatch([ids], [narrowed], count);
    assert.equal(called, 2);
  });

  it('a step over the cache gives what a full pass gives while the canvas is unchanged, batched beside a full pass', async () => {
    const span = Array.from({ length: 11 }, (_, i) => 19 + i);
    const a = canvas();
    const b = canvas().fill(98, 0, 10);
    const before = { ...model.passes };
    await model.proposeBatch([a], [request('entropy', [20, 22], { id: 101, span, refresh: true })], sampleHere);
    const [cached, full] = await model.proposeBatch(
      [a, b],
      [request('entropy', [21, 22, 29], { id: 101, span, refresh: false }), request('entropy', [21, 22, 29])],
      sampleHere,
    );
    model.forget(101);
    assert.deepEqual({ full: model.passes.full - before.full, cached: model.passes.cached - before.cached }, { full: 2, cached: 1 });
    const [fresh] = await model.proposeBatch([a], [request('entropy', [21, 22, 29])], sampleHere);
    close(cached, fresh);
    assert.notDeepEqual(
      full.map((p) => p.prob),
      fresh.map((p) => p.prob),
      'the other canvas is its own',
    );
  });

  it("keeps a reuse source in its own memory, not in a batched forward's buffer: the bytes it holds are the bytes it counts", async () => {
    const span = Array.from({ length: 11 }, (_, i) => 19 + i);
    const batch = [0, 1, 2, 3].map((k) => canvas().fill(98 + k, 0, 4));
    await model.proposeBatch(
      batch,
      batch.map((_, k) => request('entropy', [20, 21], { id: 300 + k, span, refresh: true, reuse: `file-${k}` })),
      sampleHere,
    );
    [0, 1, 2, 3].forEach((k) => model.forget(300 + k));
    const { counted, retained } = model.sourceBytes;
    assert.ok(counted > 0, 'the first passes were kept as sources');
    assert.equal(retained, counted);
  });

  it('a token committed in the span is seen by the next cached step', async () => {
    const span = Array.from({ length: 11 }, (_, i) => 19 + i);
    const ids = canvas();
    const [first] = await model.proposeBatch([ids], [request('entropy', [21], { id: 103, span, refresh: true })], sampleHere);
    ids[20] = 100;
    const [cached] = await model.proposeBatch([ids], [request('entropy', [21], { id: 103, span, refresh: false })], sampleHere);
    model.forget(103);
    const [fresh] = await model.proposeBatch([ids], [request('entropy', [21])], sampleHere);
    assert.notEqual(cached[0].prob, first[0].prob);
    // Only the context's keys and values are stale (they saw the mask at 20): close to the full pass, not equal.
    assert.ok(Math.abs(cached[0].prob - fresh[0].prob) < 0.05 * fresh[0].prob);
  });

  it('a changed span, or a row outside it, gets a full pass', async () => {
    const ids = canvas();
    const span = [19, 20, 21];
    await model.proposeBatch([ids], [request('entropy', [20], { id: 102, span, refresh: true })], sampleHere);
    const full = model.passes.full;
    await model.proposeBatch([ids], [request('entropy', [20, 25], { id: 102, span, refresh: false })], sampleHere);
    await model.proposeBatch([ids], [request('entropy', [20], { id: 102, span: [19, 20], refresh: false })], sampleHere);
    assert.equal(model.passes.full, full + 2);
    model.forget(102);
  });

  /**
   * The tiny model as the engine's network, each forward recorded: how many positions it asked
   * about, and whether it ran over the generation's cache (a first pass over an earlier request's
   * keys and values takes a full pass's place, so it is not counted as one).
   */
  function recordedEngine() {
    const config = readModelConfig(TINY);
    const forwards: { asked: number; cached: boolean; refresh: boolean | null; reuse: string | null }[] = [];
    const network = {
      vocabSize: 260,
      logits: (ids: Int32Array, rows: number[]) => model.logits(ids, rows),
      propose: async (ids: Int32Array, r: ProposeRequest) => {
        const before = { ...model.passes };
        const [out] = await model.proposeBatch([ids], [r], sampleHere);
        const cached = model.passes.cached > before.cached && model.passes.reused === before.reused;
        forwards.push({ asked: r.queries.length, cached, refresh: r.cache?.refresh ?? null, reuse: r.cache?.reuse ?? null });
        return out;
      },
      forget: (id: number) => model.forget(id),
      dispose: async () => undefined,
    };
    const loaded: LoadedModel = { dir: TINY, config, tokenizer: loadTokenizer(path.join(TINY, 'tokenizer.json')), network, executionProvider: 'cpu' };
    const engine = new LocalEngine(loaded);
    const run = async (text: string, options: InfillOptions) => {
      forwards.length = 0;
      const out = await collect(engine.infill(parseMarkers(text), options));
      return { out, forwards: [...forwards] };
    };
    return { run, engine, forwards, loaded };
  }

  /** The rule as the docs state it: a full pass first, and again once `every` positions were decided since the last one. */
  const fullPassesDue = (asked: number[], every: number) => {
    let atLast: number | null = null;
    return asked.map((n) => {
      const due = atLast === null || atLast - n >= every;
      if (due) atLast = n;
      return due;
    });
  };

  const HOLE = 'def add(a, b):\n    return <|hole:12|>\n';

  it('a generation runs a full pass first and again once cacheRefresh of its masked tokens are decided, the rest over the cache', async () => {
    const { run } = recordedEngine();
    for (const cacheRefresh of [3, 4, 5]) {
      const { forwards } = await run(HOLE, { steps: 12, cacheRefresh });
      const full = forwards.map((f) => !f.cached);
      assert.deepEqual(
        full,
        fullPassesDue(
          forwards.map((f) => f.asked),
          cacheRefresh,
        ),
        `cacheRefresh ${cacheRefresh}`,
      );
      assert.ok(full.filter((f) => f).length >= 2 && full.some((f) => !f), `cacheRefresh ${cacheRefresh}: both kinds of pass ran`);
      assert.equal(model.cachedGenerations, 0, 'the cache is forgotten at the end');
    }
  });

  it('counts decided tokens, not steps: a hole of at most cacheRefresh tokens has one full pass however many steps it takes', async () => {
    const { run } = recordedEngine();
    // Without healing the hole is its 12 masks (healing would add the token before it).
    for (const options of [{ steps: 12 }, { steps: 4 }, { threshold: 0.5 }]) {
      const { forwards } = await run(HOLE, { ...options, cacheRefresh: 12, tokenHealing: false });
      assert.equal(forwards[0].asked, 12);
      assert.equal(forwards.filter((f) => !f.cached).length, 1, JSON.stringify(options));
      assert.ok(forwards.length > 1, `${JSON.stringify(options)}: more steps than the full pass`);
    }
    // Several tokens a step: with cacheRefresh 2 and 2 tokens decided each step, every step is a full pass.
    const { forwards } = await run(HOLE, { alg: 'low_confidence', steps: 6, cacheRefresh: 2, tokenHealing: false });
    assert.deepEqual(
      forwards.map((f) => f.asked),
      [12, 10, 8, 6, 4, 2],
    );
    assert.ok(forwards.every((f) => !f.cached));
  });

  it('prefills a request: its first pass alone, which the request after it starts from, for the same fill', async () => {
    const { engine, run, forwards, loaded } = recordedEngine();
    const text = 'def perimeter(w, h):\n    return <|hole:8|>\n\nprint(perimeter(2, 3))\n';
    const options = { steps: 8, cacheRefresh: 3, tokenHealing: false, reuseKey: 'perimeter.py' };
    forwards.length = 0;
    await engine.prefill(parseMarkers(text), { ...options, contextReuse: false });
    assert.equal(forwards.length, 0, 'without contextReuse nothing can start from it: no forward');
    await engine.prefill(parseMarkers(text), { ...options, reuseKey: null });
    assert.equal(forwards.length, 0, 'nor without a reuseKey');
    const bare = readModelConfig(TINY);
    delete bare.onnx.cache!.ropeTheta;
    await new LocalEngine({ ...loaded, config: bare }).prefill(parseMarkers(text), options);
    assert.equal(forwards.length, 0, 'nor for a graph that cannot turn keys to new positions');
    const cold = await run(text, { ...options, contextReuse: false });

    forwards.length = 0;
    const before = { ...model.passes };
    await engine.prefill(parseMarkers(text), options);
    assert.deepEqual(forwards, [{ asked: 8, cached: false, refresh: true, reuse: 'perimeter.py' }]);
    assert.deepEqual({ full: model.passes.full - before.full, reused: model.passes.reused - before.reused }, { full: 1, reused: 0 });
    assert.equal(model.cachedGenerations, 0, "the prefill's own entry is forgotten; its keys stay as a source");

    const warm = await run(text, options);
    assert.equal(model.passes.reused - before.reused, 1, "the request's first pass ran over the prefill's keys and values");
    assert.equal(model.passes.full - before.full, 1 + warm.forwards.filter((f) => !f.cached && !f.reuse).length);
    assert.equal(warm.out.result.holes[0].text, cold.out.result.holes[0].text);
  });

  it("lets only a generation's first pass start from an earlier request's keys and values, unless contextReuse is off or there is no reuseKey", async () => {
    const { run } = recordedEngine();
    for (const options of [{ steps: 6 }, { blockLength: 4, steps: 6 }]) {
      const on = await run(HOLE, { ...options, cacheRefresh: 2, tokenHealing: false, reuseKey: 'hole.py' });
      assert.deepEqual(
        on.forwards.map((f) => f.reuse),
        on.forwards.map((_, i) => (i === 0 ? 'hole.py' : null)),
        JSON.stringify(options),
      );
      const off = await run(HOLE, { ...options, cacheRefresh: 2, tokenHealing: false, reuseKey: 'hole.py', contextReuse: false });
      assert.ok(off.forwards.every((f) => f.reuse === null));
      const keyless = await run(HOLE, { ...options, cacheRefresh: 2, tokenHealing: false });
      assert.ok(keyless.forwards.every((f) => f.reuse === null));
    }
  });

  it("takes an earlier request's keys and values only under the same reuseKey: another client's or file's never changes a fill", async () => {
    const { run } = recordedEngine();
    const options: InfillOptions = { steps: 8, cacheRefresh: 3, tokenHealing: false };
    const text = 'def perimeter(w, h):\n    return <|hole:8|>\n\nprint(perimeter(2, 3))\n';
    const edited = 'x' + text;
    const fresh = await run(edited, options);
    await run(text, { ...options, reuseKey: 'client-a/shapes.py' });
    const before = { ...model.passes };
    const other = await run(edited, { ...options, reuseKey: 'client-b/shapes.py' });
    assert.equal(model.passes.reused - before.reused, 0, "client b's first pass is a full pass of its own");
    assert.deepEqual(other.out.drafts, fresh.out.drafts);
    assert.equal(other.out.result.text, fresh.out.result.text);
    await run(edited, { ...options, reuseKey: 'client-a/shapes.py' });
    assert.equal(model.passes.reused - before.reused, 1, "client a's next request starts from its own");
  });

  it("starts a length search's candidates from its longest one's pass, under a key of the search's own when the request has none", async () => {
    const { run } = recordedEngine();
    const text = 'def perimeter(w, h):\n    return <|hole|>\n\nprint(perimeter(2, 3))\n';
    const options: InfillOptions = { lengthSearch: true, tokenHealing: false, defaultHoleTokens: 12, cacheRefresh: 4 };
    const before = { ...model.passes };
    const first = await run(text, options);
    assert.ok(model.passes.reused > before.reused, 'the shorter candidates ran over the longest one');
    const keys = new Set(first.forwards.flatMap((f) => (f.reuse ? [f.reuse] : [])));
    assert.equal(keys.size, 1);
    assert.match([...keys][0], /^length-search\//);
    const again = await run(text, options);
    assert.equal(again.out.result.text, first.out.result.text, 'the same request, the same fill');
    const keyed = await run(text, { ...options, reuseKey: 'shapes.py' });
    assert.deepEqual(new Set(keyed.forwards.flatMap((f) => (f.reuse ? [f.reuse] : []))), new Set(['shapes.py']));
  });

  it('gives the results of full passes where the rule asks for a full pass at every step', async () => {
    const { run } = recordedEngine();
    const options: InfillOptions = { alg: 'low_confidence', steps: 6, tokenHealing: false };
    const everyStep = await run(HOLE, { ...options, cacheRefresh: 2 });
    const off = await run(HOLE, { ...options, cacheRefresh: 1 });
    assert.ok(
      off.forwards.every((f) => f.refresh === null && !f.cached),
      'cacheRefresh 1 asks for no cache',
    );
    assert.ok(everyStep.forwards.every((f) => f.refresh === true));
    const tokens = (drafts: DraftEvent[]) => drafts.map((d) => d.committed.map((c) => [c.pos, c.token]));
    assert.deepEqual(tokens(everyStep.out.drafts), tokens(off.out.drafts));
    assert.equal(everyStep.out.result.text, off.out.result.text);
    // A longer refresh runs over stale context at some steps: still a whole fill, with fewer full passes.
    const sparse = await run(HOLE, { ...options, cacheRefresh: 6 });
    assert.ok(sparse.forwards.some((f) => f.cached));
    assert.equal(sparse.out.drafts.at(-1)!.holes[0].masked, 0);
  });
});
