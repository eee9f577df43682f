import type { RepairPlan, RepairRequest, ScoredToken } from './engine';
import { InfillError, throwIfAborted } from './errors';
import { InfillEvent } from './events';
import { localGeneration } from './denoiseHoles';
import { InfillRequest } from './holes';
import { LoadedModel } from './modelFolder';
import { deadlineFor, InfillOptions, resolveSampler } from './options';
import { canvasFor } from './requestCanvas';
import { probabilityOf } from './sampling/propose';

/**
 * Repair: the model reads a span (a function body) as it is, scores each of its tokens, and only
 * the tokens it is least sure of are masked again and denoised; every other token stays as it was.
 * An autoregressive model cannot do this: it would have to rewrite everything after the first change.
 */

/** Scores every token of the span with one forward pass over the canvas that holds it. */
export async function scoreSpan(model: LoadedModel, request: RepairRequest, options: InfillOptions = {}, signal?: AbortSignal): Promise<ScoredToken[]> {
  const { canvas, bodyTokens } = await spanCanvas(model, request, options);
  throwIfAborted(signal);
  const shifted = model.config.logitsShifted;
  const start = canvas.holes[0].start;
  const rowOf = (p: number) => (shifted ? p - 1 : p);
  const positions = bodyTokens.map((_, i) => start + i);
  const rows = [...new Set(positions.map(rowOf).filter((r) => r >= 0))];
  const logits = rows.length ? await model.network.logits(canvas.ids, rows) : new Float32Array(0);
  throwIfAborted(signal);
  const vocab = model.network.vocabSize;
  const rowIndex = new Map(rows.map((r, i) => [r, i]));
  const offsets = await tokenOffsets(model, request, bodyTokens);
  return bodyTokens.map((token, i) => {
    const r = rowIndex.get(rowOf(positions[i]));
    const prob = r === undefined ? 1 : probabilityOf(logits.subarray(r * vocab, (r + 1) * vocab), token);
    return { token, start: offsets[i], end: offsets[i + 1], prob };
  });
}

/**
 * The `count` least probable tokens (ties: the earlier one first), widened where a remasked run
 * would end inside a multi-byte character, so that every run replaces whole characters.
 */
export function leastConfident(tokens: ScoredToken[], count: number): number[] {
  const order = tokens.map((_, i) => i).sort((a, b) => tokens[a].prob - tokens[b].prob || a - b);
  const chosen = new Set(order.slice(0, Math.max(0, Math.min(count, tokens.length))));
  // A token whose start equals its end continues a character begun by the token before it.
  for (let i = 1; i < tokens.length; i++) {
    const inside = tokens[i].start === tokens[i].end && tokens[i].start === tokens[i - 1].end;
    if (!inside) continue;
    if (chosen.has(i) || chosen.has(i - 1)) {
      let a = i;
      while (a > 0 && tokens[a].start === tokens[a].end) a--;
      let b = i;
      while (b + 1 < tokens.length && tokens[b + 1].start === tokens[b + 1].end) b++;
      for (let k = a; k <= b; k++) chosen.add(k);
    }
  }
  return [...chosen].sort((a, b) => a - b);
}

/** Scores the span and picks the `count` least confident tokens to mask again. */
export async function planRepair(
  model: LoadedModel,
  request: RepairRequest,
  count: number,
  options: InfillOptions = {},
  signal?: AbortSignal,
): Promise<RepairPlan> {
  const tokens = await scoreSpan(model, request, options, signal);
  if (tokens.length === 0) throw new InfillError('nothing to repair: the span is empty');
  return planFromScores(request, tokens, leastConfident(tokens, count));
}

/** Groups remasked indices into runs of neighbouring tokens, each one hole of the document. */
export function planFromScores(request: RepairRequest, tokens: ScoredToken[], remasked: number[]): RepairPlan {
  const runs: { from: number; to: number }[] = [];
  for (const i of remasked) {
    const last = runs[runs.length - 1];
    if (last && last.to === i) last.to = i + 1;
    else runs.push({ from: i, to: i + 1 });
  }
  const holes = runs.map((r) => ({ start: tokens[r.from].start, end: tokens[r.to - 1].end, tokens: r.to - r.from }));
  return { request, tokens, remasked, holes, runs };
}

/** The document of a plan as an InfillRequest: what a generation of it is about. */
export function repairRequest(plan: RepairPlan): InfillRequest {
  return { text: plan.request.text, holes: plan.holes };
}

/**
 * Denoises the remasked tokens of a plan, the rest of the span and its context fixed, and streams
 * the same events as an infill: a draft per step (one hole per remasked run), then the result.
 */
export async function* repairSpan(model: LoadedModel, plan: RepairPlan, options: InfillOptions = {}, signal?: AbortSignal): AsyncGenerator<InfillEvent> {
  const started = performance.now();
  const { config } = model;
  const sampler = resolveSampler(config.sampler, options);
  const { canvas, bodyTokens } = await spanCanvas(model, plan.request, options);
  if (bodyTokens.length !== plan.tokens.length || bodyTokens.some((t, i) => t !== plan.tokens[i].token)) {
    throw new InfillError('the span changed since it was scored: score it again');
  }
  const start = canvas.holes[0].start;
  const runs = plan.runs.map((r) => ({ start: start + r.from, length: r.to - r.from, singleLine: false, heal: '' }));
  for (const run of runs) canvas.ids.fill(config.maskTokenId, run.start, run.start + run.length);
  // A stop token inside a run is dropped rather than ending the span: the text after the run is
  // the user's code and stays.
  yield* localGeneration(
    { model, ids: canvas.ids, holes: runs, sampler, stops: 'drop', signal, deadline: deadlineFor(started, options) },
    { text: plan.request.text, holes: plan.holes, minConfidence: options.minConfidence, inPlace: true },
    plan.remasked.length,
    started,
  );
}

/** The canvas with the span as a hole of exactly its token length, filled with the span's own tokens. */
async function spanCanvas(model: LoadedModel, request: RepairRequest, options: InfillOptions) {
  const { text, span } = request;
  if (!(span.start >= 0 && span.start <= span.end && span.end <= text.length)) {
    throw new InfillError(`span [${span.start}, ${span.end}) is outside the text (length ${text.length})`);
  }
  const bodyTokens = await model.tokenizer.encode(text.slice(span.start, span.end));
  if (bodyTokens.length === 0) return { canvas: { ids: new Int32Array(0), holes: [{ start: 0, length: 0 }], context: [] }, bodyTokens };
  // The span holds the document's own tokens, which are scored as they are: nothing to heal.
  const canvas = await canvasFor(model, text, [{ start: span.start, end: span.end, tokens: bodyTokens.length }], { ...options, tokenHealing: false });
  canvas.ids.set(bodyTokens, canvas.holes[0].start);
  return { canvas, bodyTokens };
}

/**
 * Document offsets of each token boundary: boundary i is where token i starts, and the last is the
 * span's end. A boundary inside a multi-byte character takes the offset of the character's end.
 */
async function tokenOffsets(model: LoadedModel, request: RepairRequest, tokens: number[]): Promise<number[]> {
  const body = request.text.slice(request.span.start, request.span.end);
  const offsets = [request.span.start];
  let pending: number[] = [];
  let at = 0;
  let resolvedUpTo = 0;
  for (let i = 0; i < tokens.length; i++) {
    pending.push(tokens[i]);
    const piece = await model.tokenizer.decode(pending);
    if (!piece.includes('\uFFFD') || body.startsWith(piece, at)) {
      at += piece.length;
      // Tokens of one character: all but the last start and end where the character ends.
      // The piece's first token covers its characters; the tokens that continue a character after
      // it start and end where the piece ends.
      for (let k = resolvedUpTo; k <= i; k++) offsets[k + 1] = request.span.start + at;
      resolvedUpTo = i + 1;
      pending = [];
    }
  }
  for (let k = resolvedUpTo; k < tokens.length; k++) offsets[k + 1] = request.span.end;
  return offsets;
}
