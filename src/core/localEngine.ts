import { BatchingOptions, ForwardBatcher } from './batching';
import { countTokensUpTo } from './canvas';
import { HoleGeneration, localGeneration, prefillHoles } from './denoiseHoles';
import { InfillEngine, ModelInfo, Repairer } from './engine';
import { InfillEvent } from './events';
import { growingCanvas, growingGeneration, growsHoles } from './expandingHoles';
import { Hole, InfillRequest, validateHoles } from './holes';
import { searchedHole, searchGeneration } from './lengthSearch';
import { canBatch } from './logitsModel';
import { LoadedModel } from './modelFolder';
import { deadlineFor, InfillOptions, resolveSampler } from './options';
import { planRepair, repairSpan } from './repair';
import { canvasFor, DEFAULT_HOLE_SLACK, DEFAULT_HOLE_TOKENS } from './requestCanvas';

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
    return { name: config.name, layout: config.layout, device: this.model.executionProvider, maxContext: config.maxContext };
  }

  async prefill(request: InfillRequest, options: InfillOptions = {}, signal?: AbortSignal): Promise<void> {
    if (this.model.config.onnx?.cache?.ropeTheta === undefined) return; // no later pass could start from it
    const holes = validateHoles(request);
    if (growsHoles(this.model, holes)) return; // a growing hole's steps run whole canvases: nothing starts from it
    const canvas = await canvasFor(this.model, request.text, holes, options);
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
    const deadline = deadlineFor(started, options);
    const document = { text: request.text, holes, minConfidence: options.minConfidence };
    if (growsHoles(this.model, holes)) {
      // A growing hole starts from its own first tokens: no healing (the canvas keeps the context's last token).
      const build = (sized: Hole[]) => canvasFor(this.model, request.text, sized, { ...options, tokenHealing: false });
      const usual = { defaultHoleTokens: options.defaultHoleTokens ?? DEFAULT_HOLE_TOKENS, holeSlack: options.holeSlack ?? DEFAULT_HOLE_SLACK };
      const canvas = await growingCanvas(this.model, request.text, holes, sampler.expandLimit, build, usual);
      const grows = holes.map((h) => h.tokens === undefined);
      yield* growingGeneration({ model: this.model, ...canvas, grows, sampler, signal, deadline }, document, started);
      return;
    }
    const canvas = await canvasFor(this.model, request.text, holes, options);
    const masked = canvas.holes.reduce((a, h) => a + h.length, 0);
    const g: HoleGeneration = { model: this.model, ids: canvas.ids, holes: canvas.holes, sampler, stops: 'cut', signal, deadline };
    const searched = sampler.lengthSearch
      ? searchedHole(
          holes,
          canvas.holes.map((h) => h.length),
        )
      : -1;
    if (searched >= 0) yield* searchGeneration(g, searched, document, started);
    else yield* localGeneration(g, document, masked, started);
  }
}

/** A local engine whose concurrent generations share forwards (when the network can batch); its figures are the batcher's. */
export function batchedLocalEngine(model: LoadedModel, options: BatchingOptions = {}): LocalEngine {
  if (!canBatch(model.network)) return new LocalEngine(model);
  const batcher = new ForwardBatcher(model.network, options);
  return new LocalEngine({ ...model, network: batcher }, () => ({
    forwards: batcher.forwards,
    forwardCalls: batcher.calls,
    largestBatch: batcher.largestBatch,
  }));
}
