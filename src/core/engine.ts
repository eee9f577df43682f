import { buildCanvas, Canvas, countTokensUpTo } from './canvas';
import { InfillEvent } from './events';
import { localGeneration, prefillHoles } from './denoiseHoles';
import { Hole, InfillRequest, validateHoles } from './holes';
import { LoadedModel } from './modelFolder';
import { checkWindowOptions, resolveSampler, SamplerSettings } from './options';
import { DEFAULT_TIME_LIMIT_SECONDS, numberOption } from './optionTable';
import { planRepair, Repairer, repairSpan } from './repair';
import { Deadline } from './sampling/denoise';

export interface InfillOptions extends SamplerSettings {
  /** Most canvas tokens, holes included; the model's maxContext when unset. */
  contextTokens?: number;
  /** Length of a cursor hole without a hint. */
  defaultHoleTokens?: number;
  /** Extra masked tokens after the length of a replaced selection. */
  holeSlack?: number;
  /** Token healing at each hole's start (CanvasHole.heal); model.json's tokenHealing when unset. */
  tokenHealing?: boolean;
  /**
   * Most seconds one request may run (DEFAULT_TIME_LIMIT_SECONDS when unset); checked between
   * forwards, so the forward running at the limit finishes first. Past it the request fails and
   * nothing is written.
   */
  timeLimitSeconds?: number;
}

export interface ModelInfo {
  name: string;
  family: string;
  device: string;
  maxContext: number;
}

/**
 * Holes in, a stream of drafts out, then the result: the same for a local model and a remote one.
 * What only some engines can do is an optional member, so that callers ask the engine, not its class.
 */
export interface InfillEngine {
  readonly info: ModelInfo;
  infill(request: InfillRequest, options?: InfillOptions, signal?: AbortSignal): AsyncGenerator<InfillEvent>;
  /** Called once if this engine can no longer run (its model's thread died, or it was unloaded). */
  onStop?(listener: (reason: Error) => void): void;
  /**
   * The tokens of `text` as this engine's model reads them, or `cap` once there are at least that
   * many; absent where the tokenizer is elsewhere (a remote engine).
   */
  countTokens?(text: string, cap?: number): Promise<number>;
  /** Repair (repair.ts): needs every token of a span scored, so only where the model runs here. */
  readonly repair?: Repairer;
  /**
   * Reads a request's canvas ahead of it (sampling/denoise.ts prefill): an editor calls it when a
   * file comes into view, so the first request there starts from these keys and values instead of
   * a full pass.  Absent where nothing is kept between requests (an OpenAI-compatible server).
   */
  prefill?(request: InfillRequest, options?: InfillOptions, signal?: AbortSignal): Promise<void>;
  /** Counters for GET /health (the batcher's shared forwards), where the engine keeps any. */
  figures?(): Record<string, number>;
}

export const DEFAULT_HOLE_TOKENS = numberOption('defaultHoleTokens').fallback as number;
export const DEFAULT_HOLE_SLACK = numberOption('holeSlack').fallback as number;

/** Runs a model folder in this process. */
export class LocalEngine implements InfillEngine {
  readonly repair: Repairer = {
    plan: (request, count, options, signal) => planRepair(this.model, request, count, options, signal),
    run: (plan, options, signal) => repairSpan(this.model, plan, options, signal),
  };

  constructor(
    private readonly model: LoadedModel,
    readonly figures?: () => Record<string, number>,
  ) {}

  async countTokens(text: string, cap?: number): Promise<number> {
    return cap === undefined ? (await this.model.tokenizer.encode(text)).length : countTokensUpTo(text, this.model.tokenizer, cap);
  }

  onStop(listener: (reason: Error) => void): void {
    this.model.network.onStop?.(listener);
  }

  get info(): ModelInfo {
    const { config } = this.model;
    return { name: config.name, family: config.layout, device: this.model.executionProvider, maxContext: config.maxContext };
  }

  async prefill(request: InfillRequest, options: InfillOptions = {}, signal?: AbortSignal): Promise<void> {
    if (this.model.config.onnx?.cache?.ropeTheta === undefined) return; // no later pass could start from it
    const canvas = await canvasFor(this.model, request.text, validateHoles(request), options);
    await prefillHoles({
      model: this.model,
      ids: canvas.ids,
      holes: canvas.holes,
      sampler: resolveSampler(this.model.config.sampler, options),
      stops: 'cut',
      signal,
    });
  }

  async *infill(request: InfillRequest, options: InfillOptions = {}, signal?: AbortSignal): AsyncGenerator<InfillEvent> {
    const started = performance.now();
    const { config } = this.model;
    const sampler = resolveSampler(config.sampler, options);
    const holes = validateHoles(request);
    const canvas = await canvasFor(this.model, request.text, holes, options);
    const masked = canvas.holes.reduce((a, h) => a + h.length, 0);
    const deadline = deadlineFor(started, options);
    yield* localGeneration(
      { model: this.model, ids: canvas.ids, holes: canvas.holes, sampler, stops: 'cut', signal, deadline },
      { text: request.text, holes },
      masked,
      started,
    );
  }
}

/** The canvas of a request for a model, under the request's window and hole settings. */
export function canvasFor(model: LoadedModel, text: string, holes: Hole[], options: InfillOptions): Promise<Canvas> {
  const { config, tokenizer } = model;
  checkWindowOptions(options);
  return buildCanvas(text, holes, tokenizer, {
    maxTokens: Math.min(config.maxContext, options.contextTokens ?? config.maxContext),
    defaultHoleTokens: options.defaultHoleTokens ?? DEFAULT_HOLE_TOKENS,
    holeSlack: options.holeSlack ?? DEFAULT_HOLE_SLACK,
    maskTokenId: config.maskTokenId,
    bosTokenId: config.bosTokenId,
    heal: options.tokenHealing ?? config.tokenHealing,
  });
}

/** When a request that started at `started` (performance.now()) must stop. */
export function deadlineFor(started: number, options: InfillOptions): Deadline {
  const seconds = options.timeLimitSeconds ?? DEFAULT_TIME_LIMIT_SECONDS;
  return { at: started + seconds * 1000, seconds };
}
