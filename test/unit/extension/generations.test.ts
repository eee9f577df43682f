import * as assert from 'node:assert/strict';
import { InfillAborted, InfillEngine, InfillEvent, InfillRequest, ModelInfo } from '../../../src/core';
import { GenerationEnd, GenerationEvent, Generations } from '../../../src/extension/generations';

/** An engine that writes "x" into each hole over `steps` drafts, and honours the signal like the real one. */
class ScriptedEngine implements InfillEngine {
  readonly info: ModelInfo = { name: 'scripted', layout: 'dream', device: 'cpu', maxContext: 64 };
  /** Resolving a gate lets the engine take its next step; one gate per step. */
  private gates: (() => void)[] = [];
  constructor(private readonly steps: number) {}

  step(): void {
    this.gates.shift()?.();
  }

  async *infill(request: InfillRequest, _options?: unknown, signal?: AbortSignal): AsyncGenerator<InfillEvent> {
    for (let step = 1; step <= this.steps; step++) {
      await new Promise<void>((resolve) => this.gates.push(resolve));
      if (signal?.aborted) throw new InfillAborted();
      yield { type: 'draft', step, steps: this.steps, holes: request.holes.map(() => ({ text: 'x'.repeat(step), masked: this.steps - step })), committed: [] };
    }
    yield {
      type: 'result',
      text: request.text,
      holes: request.holes.map(() => ({ text: 'x'.repeat(this.steps), heldBack: false })),
      stats: { model: 'scripted', device: 'cpu', steps: this.steps, canvasTokens: 0, maskedTokens: 0, elapsedMs: 0, msPerStep: 0, tokensPerStep: 0, seed: 0 },
    };
  }
}

const request: InfillRequest = { text: 'a  b', holes: [{ start: 2, end: 2 }] };
/** What Generations runs for an engine: its infill of the request. */
const infill = (engine: InfillEngine) => (signal: AbortSignal) => engine.infill(request, {}, signal);
const tick = () => new Promise((r) => setImmediate(r));

async function runSteps(engine: ScriptedEngine, n: number): Promise<void> {
  for (let i = 0; i < n; i++) {
    await tick();
    engine.step();
  }
  await tick();
}

describe('generations', () => {
  it('broadcasts every draft and the result with the kind of the generation', async () => {
    const generations = new Generations();
    const heard: GenerationEvent[] = [];
    generations.onDidEvent((e) => heard.push(e));
    const engine = new ScriptedEngine(3);
    const g = generations.start('fill', request, infill(engine))!;
    await runSteps(engine, 3);
    const outcome = await g.outcome;
    assert.equal(outcome.status, 'done');
    assert.deepEqual(
      heard.map((e) => [e.kind, e.event.type]),
      [
        ['fill', 'draft'],
        ['fill', 'draft'],
        ['fill', 'draft'],
        ['fill', 'result'],
      ],
    );
    assert.equal(g.latestDraft?.step, 3);
    assert.equal(generations.running, undefined);
  });

  it("delivers each event once to the generation's own listeners, and none of another's", async () => {
    const generations = new Generations();
    const first = new ScriptedEngine(2);
    const g = generations.start('fill', request, infill(first))!;
    const own: string[] = [];
    g.onDidEvent((e) => own.push(e.type));
    await runSteps(first, 2);
    await g.outcome;
    const second = new ScriptedEngine(1);
    const other = generations.start('fill', request, infill(second))!;
    await runSteps(second, 1);
    await other.outcome;
    assert.deepEqual(own, ['draft', 'draft', 'result']);
  });

  it('cancel() stops the running generation, which ends as cancelled', async () => {
    const generations = new Generations();
    const ends: GenerationEnd[] = [];
    generations.onDidEnd((e) => ends.push(e));
    const engine = new ScriptedEngine(5);
    const g = generations.start('fill', request, infill(engine))!;
    await runSteps(engine, 1);
    assert.equal(generations.cancel(), true);
    await runSteps(engine, 1);
    assert.deepEqual(await g.outcome, { status: 'cancelled' });
    assert.deepEqual(
      ends.map((e) => e.outcome.status),
      ['cancelled'],
    );
    assert.equal(generations.cancel(), false, 'nothing left to cancel');
  });

  it('a cancel ends the generation at once, while the engine is still in its step, and nothing of it is heard after', async () => {
    const generations = new Generations();
    const heard: string[] = [];
    generations.onDidEvent((e) => heard.push(e.event.type));
    const engine = new ScriptedEngine(5);
    const g = generations.start('inline', request, infill(engine))!;
    await runSteps(engine, 1);
    g.cancel();
    // The engine has not taken another step: a generation that waited for it would never end here.
    const ended = await Promise.race([g.outcome, new Promise((r) => setTimeout(() => r('still running'), 200))]);
    assert.deepEqual(ended, { status: 'cancelled' });
    await runSteps(engine, 4);
    assert.deepEqual(heard, ['draft'], 'no draft of the cancelled generation after the cancel');
  });

  it('a new generation replaces the running one, but an inline completion never interrupts a fill', async () => {
    const generations = new Generations();
    const fillEngine = new ScriptedEngine(5);
    const fill = generations.start('fill', request, infill(fillEngine))!;
    assert.equal(generations.start('inline', request, infill(new ScriptedEngine(1))), undefined);
    assert.equal(generations.running, fill);

    const refactorEngine = new ScriptedEngine(1);
    const refactor = generations.start('refactor', request, infill(refactorEngine))!;
    await runSteps(fillEngine, 1);
    assert.deepEqual(await fill.outcome, { status: 'cancelled' });
    await runSteps(refactorEngine, 1);
    assert.equal((await refactor.outcome).status, 'done');
  });

  it('reports an engine failure as a failed outcome, not a rejection', async () => {
    const generations = new Generations();
    const broken: InfillEngine = {
      info: { name: 'broken', layout: 'dream', device: 'cpu', maxContext: 1 },
      // eslint-disable-next-line require-yield
      async *infill() {
        throw new Error('graph exploded');
      },
    };
    const outcome = await generations.start('inline', request, infill(broken))!.outcome;
    assert.equal(outcome.status, 'failed');
    assert.match(outcome.status === 'failed' ? outcome.error.message : '', /graph exploded/);
  });
});
