import { buildCanvas, Canvas } from './canvas';
import { Hole } from './holes';
import { LoadedModel } from './modelFolder';
import { checkRequestOptions, InfillOptions } from './options';
import { numberOption } from './optionTable';

export const DEFAULT_HOLE_TOKENS = numberOption('defaultHoleTokens').fallback as number;
export const DEFAULT_HOLE_SLACK = numberOption('holeSlack').fallback as number;

/** The canvas of a request for a model, under the request's window and hole settings. */
export function canvasFor(model: LoadedModel, text: string, holes: Hole[], options: InfillOptions): Promise<Canvas> {
  const { config, tokenizer } = model;
  checkRequestOptions(options);
  return buildCanvas(text, holes, tokenizer, {
    maxTokens: Math.min(config.maxContext, options.contextTokens ?? config.maxContext),
    defaultHoleTokens: options.defaultHoleTokens ?? DEFAULT_HOLE_TOKENS,
    holeSlack: options.holeSlack ?? DEFAULT_HOLE_SLACK,
    maskTokenId: config.maskTokenId,
    bosTokenId: config.bosTokenId,
    heal: options.tokenHealing ?? config.tokenHealing,
  });
}
