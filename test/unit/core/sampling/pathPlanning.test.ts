import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { pathPlan, denoise } from '../../../../src/core/sampling/denoise';
import { applyFills, LocalEngine, loadModelFolder, MASK_PLACEHOLDER, parseMarkers } from '../../../../src/core';
import { collect } from '../../support/events';
import { ScriptedModel, sampler } from '../../support/scripted';
import { ROOT, TINY_MODEL } from '../../support/fixtures';

/**
 * Open-dLLM's own `p2` loop, transcribed in torch by tools/model/references/p2_reference.py, run on a
 * scripted network whose every canvas and logits it recorded: the engine runs on the same network
 * and must leave the canvas as theirs after every step.
 */
interface ReferenceCase {
  name: string;
  canvas: number[];
  steps: number;
  top_p?: number;
  top_k?: number;
  history: number[][];
  remasked: number;
  network: Record<string, number[][]>;
}
const reference = JSON.parse(fs.readFileSync(path.join(ROOT, 'test', 'fixtures', 'p2-reference.json'), 'utf8')) as {
  vocab: number;
  mask: number;
  cases: ReferenceCase[];
};

describe("p2 (Open-dLLM's path planning) against the authors' loop", () => {
  for (const c of reference.cases) {
    it(`${c.name}: the same canvas after every step`, async () => {
      const network = new ScriptedModel(reference.vocab, (ids, index) => {
        const rows = c.network[Array.from(ids).join(',')];
        assert.ok(rows, `the reference never ran the canvas ${Array.from(ids).join(',')}: the engine went another way`);
        return rows[index];
      });
      const ids = Int32Array.from(c.canvas);
      const masked = c.canvas.flatMap((t, p) => (t === reference.mask ? [p] : []));
      const history: number[][] = [];
      const settings = { alg: 'p2' as const, steps: c.steps, topP: c.top_p ?? 1, topK: c.top_k ?? 0, threshold: null };
      for await (const step of denoise({ network, ids, masked, shifted: true, maskTokenId: reference.mask, sampler: sampler(settings) })) {
        history.push(Array.from(ids));
        for (const p of step.remasked ?? []) assert.equal(ids[p], reference.mask);
      }
      assert.deepEqual(history, c.history);
    });
  }

  it('the recorded runs take committed tokens back, so the test covers remasking', () => {
    for (const c of reference.cases) assert.ok(c.remasked > 0, c.name);
  });
});

describe('pathPlan', () => {
  const positions = (confidences: number[], masked: boolean[]) => confidences.map((confidence, k) => ({ confidence, masked: masked[k] }));

  it('masks the least confident positions, committed or not, and unmasks the rest of the masked ones', () => {
    // n = 4, step 0 of 2: floor(4 * (1 - 1/2)) = 2 to mask.
    const plan = pathPlan(positions([0.9, 0.1, 0.5, 0.2], [false, true, true, false]), 0, 2);
    assert.deepEqual(plan.toMask, [1, 3]);
    assert.deepEqual(plan.unmask, [2]);
  });

  it('counts in float32, as torch: at step 3 of 5 over 5 positions it masks 1, where float64 would mask 0', () => {
    // 1 - 4/5 is 0.19999999999999996 in float64 (times 5: 0.9999999999999998); in float32 0.2 exactly.
    const five = [0.1, 0.2, 0.3, 0.4, 0.5];
    assert.deepEqual(
      pathPlan(
        positions(
          five,
          five.map(() => true),
        ),
        3,
        5,
      ).toMask,
      [0],
    );
  });

  it('masks none past the planned steps', () => {
    assert.deepEqual(pathPlan(positions([0.3, 0.2], [true, true]), 5, 3), { toMask: [], unmask: [0, 1] });
  });
});

describe('p2 through the engine', () => {
  it('fills holes of unknown length on the tiny model in its planned steps, the masked count falling by its schedule', async () => {
    const model = await loadModelFolder(TINY_MODEL);
    try {
      const request = parseMarkers('def f(x):\n    <|hole|>\n\nprint(<|hole|>)\n');
      const { drafts, result } = await collect(new LocalEngine(model).infill(request, { alg: 'p2', steps: 8, defaultHoleTokens: 12 }));
      assert.equal(drafts.length, 8, 'p2 runs its planned steps');
      const masked = drafts.map((d) => d.holes.reduce((a, h) => a + h.masked, 0));
      assert.deepEqual(
        masked,
        [...masked].sort((a, b) => b - a),
        'the masked count follows the schedule down',
      );
      assert.ok(result.holes.every((h) => !h.text.includes(MASK_PLACEHOLDER)));
      assert.equal(
        result.text,
        applyFills(
          request.text,
          request.holes,
          result.holes.map((h) => h.text),
        ),
      );
    } finally {
      await model.network.dispose();
    }
  });
});
