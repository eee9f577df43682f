import { CanvasHole } from './canvas';
import { CommittedToken, DraftEvent, DraftHole, FilledHole, InfillEvent, MASK_PLACEHOLDER } from './events';
import { singleLineFill } from './fillRules/singleLine';
import { LoadedModel } from './modelFolder';
import { denoise, DenoiseInput, prefill, Step } from './sampling/denoise';
import { HoleRules } from './sampling/holeRules';
import { Deadline, ResolvedSampler } from './options';
import { FillDocument, resultEvent } from './result';

/**
 * What becomes of an end-of-text or pad token inside a hole: `cut` ends the hole there (a hole
 * of unknown length, padded); `drop` leaves it out (a span whose length is fixed, as in repair).
 */
export type StopTokens = 'cut' | 'drop';

export interface HoleGeneration {
  model: LoadedModel;
  /** The canvas; every position of `holes` is masked. */
  ids: Int32Array;
  holes: CanvasHole[];
  sampler: ResolvedSampler;
  stops: StopTokens;
  signal?: AbortSignal;
  deadline?: Deadline;
}

/** Denoises the holes of a canvas, yielding a draft per step; returns each hole's final text. */
export async function* denoiseHoles(g: HoleGeneration): AsyncGenerator<DraftEvent, { fills: FilledHole[]; steps: number }> {
  const reader = await holeReader(g);
  let steps = 0;
  const committedProb = new Map<number, number>();
  const drafts = reader.emptyDrafts();
  for await (const step of denoise(reader.input)) {
    steps = step.step;
    yield await reader.draftEvent(step, committedProb, drafts);
  }
  return { fills: await reader.fills(committedProb), steps };
}

/** How a generation over the holes of one canvas reads its steps: the loop's input, its drafts and its fills. */
export interface HoleReader {
  /** The loop's input, the hole rules included. */
  input: DenoiseInput;
  rules: HoleRules;
  /** Hole k's tokens as its fill reads them (cut at its first end, or with ends dropped). */
  tokens(k: number): number[];
  /** A placeholder a position for each hole: the drafts before any step. */
  emptyDrafts(): DraftHole[];
  /**
   * The draft after `step`: `drafts` (each hole's, updated in place for the holes the step
   * touched) and `committedProb` (each committed position's probability) are carried across steps.
   */
  draftEvent(step: Step, committedProb: Map<number, number>, drafts: DraftHole[]): Promise<DraftEvent>;
  /** Each hole's text and confidence once the loop has ended. */
  fills(committedProb: ReadonlyMap<number, number>): Promise<FilledHole[]>;
}

export async function holeReader(g: HoleGeneration): Promise<HoleReader> {
  const { config, tokenizer } = g.model;
  const stopIds = new Set([config.eosTokenId, config.padTokenId]);
  const tokens = (k: number) => {
    const h = g.holes[k];
    const all = Array.from(g.ids.subarray(h.start, h.start + h.length));
    if (g.stops === 'drop') return all.filter((t) => !stopIds.has(t));
    const cut = all.findIndex((t) => stopIds.has(t));
    return cut === -1 ? all : all.slice(0, cut);
  };
  const holeOf = (pos: number) => g.holes.findIndex((h) => pos >= h.start && pos < h.start + h.length);
  // Read off the table the model folder's load computed, not decoded a call each: every call is a
  // round trip through the tokenizer's thread pool between the forward and the draft.
  const tokenTexts = await tokenizer.tokenTexts();
  const rules = new HoleRules({
    holes: g.holes,
    maskTokenId: config.maskTokenId,
    endTokenIds: g.stops === 'cut' ? stopIds : undefined,
    padTokenId: config.padTokenId,
    lineBreakTokenIds: g.holes.some((h) => h.singleLine) ? await tokenizer.lineBreakTokens() : undefined,
    tokenTexts: g.holes.some((h) => h.heal) ? tokenTexts : undefined,
    // A model that grows holes never grows one of fixed length (DreamOn's batch_generate).
    forbidden: config.expandTokenId === undefined ? undefined : { ids: [config.expandTokenId], vocabSize: config.vocabSize },
  });
  return {
    input: { ...denoiseInput(g), rules },
    rules,
    tokens,
    emptyDrafts: () => g.holes.map((h) => ({ text: MASK_PLACEHOLDER.repeat(h.length), masked: h.length })),
    async draftEvent(step, committedProb, drafts) {
      for (const c of step.commits) committedProb.set(c.pos, c.prob);
      for (const p of step.remasked ?? []) committedProb.delete(p);
      const committed: CommittedToken[] = step.commits.map((c) => {
        const hole = holeOf(c.pos);
        return { pos: c.pos, hole, offset: c.pos - g.holes[hole].start, token: c.token, text: tokenTexts[c.token], confidence: c.prob };
      });
      // Only the holes a step touched are decoded again: with many holes, decoding dominated a step.
      const touched = [...new Set([...committed.map((c) => c.hole), ...(step.remasked ?? []).map(holeOf)])];
      await Promise.all(touched.map(async (k) => (drafts[k] = await draftText(g.model, tokens(k), g.holes[k]))));
      return { type: 'draft', step: step.step, steps: step.steps, holes: [...drafts], committed };
    },
    fills: (committedProb) =>
      Promise.all(
        g.holes.map(async (h, k) => ({
          text: asFill(await tokenizer.decode(tokens(k), true), h),
          confidence: fillConfidence(h, g.ids, rules, committedProb),
        })),
      ),
  };
}

/** The first forward of denoiseHoles alone, for a request soon after (sampling/denoise.ts prefill). */
export function prefillHoles(g: HoleGeneration): Promise<void> {
  return prefill(denoiseInput(g));
}

/** The loop's input for the holes of a canvas, less the hole rules. */
function denoiseInput(g: HoleGeneration): DenoiseInput {
  const { config, network } = g.model;
  return {
    network,
    ids: g.ids,
    masked: g.holes.flatMap((h) => Array.from({ length: h.length }, (_, k) => h.start + k)),
    shifted: config.logitsShifted,
    maskTokenId: config.maskTokenId,
    sampler: g.sampler,
    signal: g.signal,
    deadline: g.deadline,
  };
}

/**
 * A generation on a model of this process (an infill, a repair): a draft per step, then the
 * document with its holes filled and the run's figures.
 */
export async function* localGeneration(g: HoleGeneration, document: FillDocument, maskedTokens: number, started: number): AsyncGenerator<InfillEvent> {
  const { fills, steps } = yield* denoiseHoles(g);
  yield resultEvent(document, fills, {
    model: g.model.config.name,
    device: g.model.executionProvider,
    steps,
    canvasTokens: g.ids.length,
    maskedTokens,
    seed: g.sampler.seed,
    started,
  });
}

/**
 * The geometric mean of the committed probabilities up to the hole's first end (pad, end of text,
 * or a line break that ended a single-line hole), that end included: the positions after it were
 * filled by the rules, not chosen by the model.
 */
function fillConfidence(h: CanvasHole, ids: Int32Array, rules: HoleRules, committedProb: ReadonlyMap<number, number>): number {
  let logSum = 0;
  let n = 0;
  for (let p = h.start; p < h.start + h.length; p++) {
    const prob = committedProb.get(p);
    if (prob === undefined) break;
    logSum += Math.log(Math.max(prob, 1e-12));
    n++;
    if (rules.ends(p, ids[p])) break;
  }
  return n === 0 ? 0 : Math.exp(logSum / n);
}

/**
 * Committed runs decoded, a placeholder for each masked position, as asFill shows them; a
 * single-line hole's draft shows only what its result will keep (the fill rules' singleLineFill).
 */
export async function draftText(model: LoadedModel, tokens: number[], hole: CanvasHole): Promise<DraftHole> {
  const mask = model.config.maskTokenId;
  const runs: number[][] = [[]];
  for (const t of tokens) {
    if (t === mask) runs.push([]);
    else runs[runs.length - 1].push(t);
  }
  // All at once: one after the other, each run's round trip would wait on the last.
  const texts = await Promise.all(runs.map((run) => model.tokenizer.decode(run, true)));
  const text = asFill(texts.join(MASK_PLACEHOLDER), hole);
  return { text: hole.singleLine ? singleLineFill(text) : text, masked: runs.length - 1 };
}

/**
 * A hole's text as the fill: less what it has written of the heal (the document already holds
 * it) and less any U+FFFD. A byte-level token can be part of a character; tokens sampled apart (a
 * high temperature) leave pieces that decode to U+FFFD, never text the model meant. What a
 * single-line hole wrote past its line comes off in the result, with the other fill rules.
 */
export function asFill(text: string, hole: CanvasHole): string {
  let k = 0;
  while (k < hole.heal.length && k < text.length && text[k] === hole.heal[k]) k++;
  return text.slice(k).replaceAll('\uFFFD', '');
}
