import { buildCanvas, Canvas } from './canvas';
import { InfillEvent, MASK_PLACEHOLDER, CommittedToken, DraftHole } from './events';
import { InfillRequest, applyFills, validateHoles } from './holes';
import { LoadedModel } from './modelFolder';
import { denoise } from './sampling/denoise';
import { resolveSampler, SamplerSettings } from './settings';

export interface InfillOptions extends SamplerSettings {
  /** Most canvas tokens, holes included; the model's maxContext when unset. */
  contextTokens?: number;
  /** Length of a cursor hole without a hint. */
  defaultHoleTokens?: number;
  /** Extra masked tokens after the length of a replaced selection. */
  holeSlack?: number;
}

export interface ModelInfo {
  name: string;
  family: string;
  device: string;
  maxContext: number;
}

/** Holes in, a stream of drafts out, then the result: the same for a local model and a remote one. */
export interface InfillEngine {
  readonly info: ModelInfo;
  infill(request: InfillRequest, options?: InfillOptions, signal?: AbortSignal): AsyncGenerator<InfillEvent>;
}

export const DEFAULT_HOLE_TOKENS = 32;
export const DEFAULT_HOLE_SLACK = 8;

/** Runs a model folder in this process. */
export class LocalEngine implements InfillEngine {
  constructor(private readonly model: LoadedModel) {}

  get info(): ModelInfo {
    const { config } = this.model;
    return { name: config.name, family: config.family, device: this.model.executionProvider, maxContext: config.maxContext };
  }

  async *infill(request: InfillRequest, options: InfillOptions = {}, signal?: AbortSignal): AsyncGenerator<InfillEvent> {
    const started = performance.now();
    const { config, tokenizer, network } = this.model;
    const sampler = resolveSampler(config.sampler, options);
    const holes = validateHoles(request);
    const canvas = await buildCanvas(request.text, holes, tokenizer, {
      maxTokens: Math.min(config.maxContext, options.contextTokens ?? config.maxContext),
      defaultHoleTokens: options.defaultHoleTokens ?? DEFAULT_HOLE_TOKENS,
      holeSlack: options.holeSlack ?? DEFAULT_HOLE_SLACK,
      maskTokenId: config.maskTokenId,
      bosTokenId: config.bosTokenId,
    });
    const masked = canvas.holes.flatMap((h) => Array.from({ length: h.length }, (_, k) => h.start + k));
    const stops = new Set([config.eosTokenId, config.padTokenId]);
    const where = locate(canvas);
    let steps = 0;
    for await (const step of denoise({
      network,
      ids: canvas.ids,
      masked,
      shifted: config.family === 'dream',
      maskTokenId: config.maskTokenId,
      sampler,
      signal,
    })) {
      steps = step.step;
      const committed: CommittedToken[] = await Promise.all(
        step.commits.map(async (c) => ({
          pos: c.pos,
          ...where(c.pos),
          token: c.token,
          text: await tokenizer.decode([c.token]),
          confidence: c.prob,
        })),
      );
      const draftHoles = await Promise.all(canvas.holes.map((h) => this.draftText(canvas.ids, h.start, h.length, stops)));
      yield { type: 'draft', step: step.step, steps: step.steps, holes: draftHoles, committed };
    }
    const fills = await Promise.all(
      canvas.holes.map((h) => tokenizer.decode(untilStop(Array.from(canvas.ids.subarray(h.start, h.start + h.length)), stops), true)),
    );
    const elapsedMs = performance.now() - started;
    yield {
      type: 'result',
      text: applyFills(request.text, holes, fills),
      holes: fills.map((text) => ({ text })),
      stats: {
        model: config.name,
        device: this.model.executionProvider,
        steps,
        canvasTokens: canvas.ids.length,
        maskedTokens: masked.length,
        elapsedMs,
        msPerStep: steps ? elapsedMs / steps : 0,
        tokensPerStep: steps ? masked.length / steps : 0,
        seed: sampler.seed,
      },
    };
  }

  /** Committed runs decoded, a placeholder per masked position, cut at the first end or pad. */
  private async draftText(ids: Int32Array, start: number, length: number, stops: Set<number>): Promise<DraftHole> {
    const tokens = untilStop(Array.from(ids.subarray(start, start + length)), stops);
    const mask = this.model.config.maskTokenId;
    let text = '';
    let run: number[] = [];
    let masked = 0;
    for (const t of [...tokens, mask]) {
      if (t !== mask) {
        run.push(t);
        continue;
      }
      text += await this.model.tokenizer.decode(run, true);
      run = [];
      masked++;
      text += MASK_PLACEHOLDER;
    }
    return { text: text.slice(0, -MASK_PLACEHOLDER.length), masked: masked - 1 };
  }
}

function untilStop(tokens: number[], stops: Set<number>): number[] {
  const cut = tokens.findIndex((t) => stops.has(t));
  return cut === -1 ? tokens : tokens.slice(0, cut);
}

function locate(canvas: Canvas): (pos: number) => { hole: number; offset: number } {
  return (pos) => {
    const hole = canvas.holes.findIndex((h) => pos >= h.start && pos < h.start + h.length);
    return { hole, offset: pos - canvas.holes[hole].start };
  };
}
