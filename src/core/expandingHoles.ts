import { Canvas, CanvasHole, holeLength, resizeHole } from './canvas';
import { asFill, draftText } from './denoiseHoles';
import { FillDocument, resultEvent } from './result';
import { CommittedToken, DraftHole, InfillEvent } from './events';
import { Hole } from './holes';
import { LoadedModel } from './modelFolder';
import { Deadline, ResolvedSampler } from './options';
import { denoiseExpanding, SizedHole } from './sampling/expansion';

/**
 * A generation on a model trained to grow holes (model.json expandTokenId, DreamOn): the holes of
 * unknown length start at their usual length and grow at `[expand]` or shrink at `[delete]` up
 * to `expandLimit` (sampling/expansion.ts), a draft a step, the hole its size at that step.
 */

/** Whether a request on `model` is decoded so: the model grows holes and one of the holes has no given length. */
export function growsHoles(model: LoadedModel, holes: Hole[]): boolean {
  return model.config.expandTokenId !== undefined && holes.some((h) => h.tokens === undefined);
}

/**
 * The canvas of a growing generation: windowed with room for each growing hole at its limit, then
 * each cut to its usual length (a cursor's default, a selection's tokens and the slack), at most the limit.
 */
export async function growingCanvas(
  model: LoadedModel,
  text: string,
  holes: Hole[],
  limit: number,
  build: (holes: Hole[]) => Promise<Canvas>,
  usual: { defaultHoleTokens: number; holeSlack: number },
): Promise<Pick<Canvas, 'ids' | 'holes'>> {
  const roomy = await build(holes.map((h) => (h.tokens === undefined ? { ...h, tokens: Math.max(limit, 1) } : h)));
  let canvas: Pick<Canvas, 'ids' | 'holes'> = roomy;
  for (const [i, h] of holes.entries()) {
    if (h.tokens !== undefined) continue;
    const length = Math.min(limit, await holeLength(text, h, model.tokenizer, usual));
    canvas = resizeHole(canvas, i, length, model.config.maskTokenId);
  }
  return canvas;
}

export interface GrowingGeneration {
  model: LoadedModel;
  ids: Int32Array;
  holes: CanvasHole[];
  /** Which holes grow (those of unknown length). */
  grows: boolean[];
  sampler: ResolvedSampler;
  signal?: AbortSignal;
  deadline?: Deadline;
}

export async function* growingGeneration(g: GrowingGeneration, document: FillDocument, started: number): AsyncGenerator<InfillEvent> {
  const { config, tokenizer } = g.model;
  const stopIds = new Set([config.eosTokenId, config.padTokenId]);
  const tokenTexts = await tokenizer.tokenTexts();
  const shape = (h: SizedHole): CanvasHole => ({ start: h.start, length: h.length, singleLine: h.singleLine, heal: '' });
  const tokensOf = (ids: Int32Array, h: SizedHole) => {
    const all = Array.from(ids.subarray(h.start, h.start + h.length));
    const cut = all.findIndex((t) => stopIds.has(t));
    return cut === -1 ? all : all.slice(0, cut);
  };
  let ids: Int32Array = g.ids;
  let holes: SizedHole[] = g.holes.map((h, k) => ({ start: h.start, length: h.length, grows: g.grows[k], singleLine: h.singleLine }));
  let probs: Float64Array = new Float64Array(ids.length).fill(NaN);
  let steps = 0;
  const drafts: DraftHole[] = holes.map((h) => ({ text: '', masked: h.length }));
  await Promise.all(holes.map(async (h, k) => (drafts[k] = await draftText(g.model, tokensOf(ids, h), shape(h)))));
  for await (const step of denoiseExpanding({
    network: g.model.network,
    ids: g.ids,
    holes,
    shifted: config.logitsShifted,
    maskTokenId: config.maskTokenId,
    expandTokenId: config.expandTokenId!,
    deleteTokenId: config.deleteTokenId!,
    limit: g.sampler.expandLimit,
    lineBreakTokenIds: holes.some((h) => h.singleLine) ? await tokenizer.lineBreakTokens() : undefined,
    sampler: g.sampler,
    signal: g.signal,
    deadline: g.deadline,
  })) {
    ({ ids, holes, probs } = step);
    steps = step.step;
    const hole = holes.findIndex((h) => step.commit.pos >= h.start && step.commit.pos < h.start + h.length);
    const committed: CommittedToken[] =
      hole === -1
        ? []
        : [
            {
              pos: step.commit.pos,
              hole,
              offset: step.commit.pos - holes[hole].start,
              token: step.commit.token,
              text: tokenTexts[step.commit.token],
              confidence: step.commit.prob,
            },
          ];
    // Every hole is decoded again: a change of size moves the holes after it.
    await Promise.all(holes.map(async (h, k) => (drafts[k] = await draftText(g.model, tokensOf(ids, h), shape(h)))));
    yield { type: 'draft', step: step.step, steps: step.steps, holes: [...drafts], committed };
  }
  const fills = await Promise.all(
    holes.map(async (h) => {
      const tokens = tokensOf(ids, h);
      const committed = Array.from(probs.subarray(h.start, h.start + tokens.length)).filter((p) => !Number.isNaN(p));
      const confidence = committed.length === 0 ? 0 : Math.exp(committed.reduce((a, p) => a + Math.log(Math.max(p, 1e-12)), 0) / committed.length);
      return { text: asFill(await tokenizer.decode(tokens, true), shape(h)), confidence };
    }),
  );
  yield resultEvent(document, fills, {
    model: config.name,
    device: g.model.executionProvider,
    steps,
    canvasTokens: ids.length,
    maskedTokens: holes.reduce((a, h) => a + h.length, 0),
    seed: g.sampler.seed,
    started,
  });
}
