import * as fs from 'node:fs';
import * as path from 'node:path';
import { InfillError } from './errors';
import { MAX_CONTEXT } from './holes';
import { SamplerSettings } from './options';

/** `model.json` of a model folder: see docs/model-folder.md. */
export interface ModelConfig {
  format: string;
  name: string;
  /** The checkpoint layout it was built from (the builder's name for it, e.g. "dream", "llada"): shown, never branched on. */
  layout: string;
  /** The row at i predicts the token at i + 1 (Dream and the models adapted from autoregressive ones); else the token at i. */
  logitsShifted: boolean;
  vocabSize: number;
  maxContext: number;
  maskTokenId: number;
  eosTokenId: number;
  padTokenId: number;
  bosTokenId: number | null;
  sampler: SamplerSettings;
  /**
   * Whether to heal the token boundary at each hole's start (CanvasHole.heal): right for models
   * trained on text tokenized whole, wrong for one trained on holes tokenized apart from their
   * context, as the bundled model was.  Default true.
   */
  tokenHealing: boolean;
  onnx: {
    file: string;
    inputs: { inputIds: string; attentionMask: string | null; positionIds: string | null; logitPositions: string | null };
    output: string;
    /** The graph takes the keys and values of positions it does not run (docs/model-folder.md). */
    cache?: CacheNames;
    /** The graph also returns the greedy decision per asked row (docs/model-folder.md). */
    decide?: DecideNames;
  };
  precision?: string;
  source?: string;
}

export interface CacheNames {
  layers: number;
  kvHeads: number;
  headDim: number;
  /**
   * The rotary embedding's base (plain RoPE, HF's rotate_half layout): with it, keys can be moved
   * to other positions, so a request can reuse an earlier canvas's (contextReuse.ts).
   */
  ropeTheta?: number;
  /** Each with `{layer}` for the layer's index. */
  pastKey: string;
  pastValue: string;
  presentKey: string;
  presentValue: string;
}

export interface DecideNames {
  token: string;
  prob: string;
  secondProb: string;
  entropy: string;
}

/** The graph's name for a cache tensor of one layer. */
export function layerName(template: string, layer: number): string {
  return template.replace('{layer}', String(layer));
}

export const MODEL_FORMAT = 'diffusion-infill-model/1';
export const CONFIG_FILE = 'model.json';
export const TOKENIZER_FILE = 'tokenizer.json';

/** Reads and checks `model.json`; every problem is reported with the folder's path. */
export function readModelConfig(dir: string): ModelConfig {
  if (!fs.existsSync(dir) || !fs.statSync(dir).isDirectory()) {
    throw new InfillError(`model folder ${dir} does not exist`);
  }
  const file = path.join(dir, CONFIG_FILE);
  if (!fs.existsSync(file)) throw new InfillError(`model folder ${dir} has no ${CONFIG_FILE}`);
  let raw: unknown;
  try {
    raw = JSON.parse(fs.readFileSync(file, 'utf8'));
  } catch (e) {
    throw new InfillError(`${file} is not valid JSON: ${(e as Error).message}`);
  }
  const bad = (what: string): never => {
    throw new InfillError(`${file}: ${what}`);
  };
  const c = raw as Partial<ModelConfig>;
  if (typeof c !== 'object' || c === null) bad('expected a JSON object');
  if (c.format !== MODEL_FORMAT) bad(`"format" must be "${MODEL_FORMAT}", not ${JSON.stringify(c.format)}`);
  if (typeof c.logitsShifted !== 'boolean') {
    bad(
      '"logitsShifted" must be true (the row at i predicts the token at i + 1, as in Dream) or false (as in LLaDA); a folder built before it was written: build it again with diffusion-infill models convert',
    );
  }
  if (typeof c.layout !== 'string') bad('"layout" must name the checkpoint layout the folder was built from');
  const positive = (key: keyof ModelConfig, max: number) => {
    const v = c[key];
    if (typeof v !== 'number' || !Number.isInteger(v) || v < 1 || v > max) bad(`"${key}" must be a whole number from 1 to ${max}`);
  };
  const tokenId = (key: keyof ModelConfig, nullable = false) => {
    const v = c[key];
    if (nullable && (v === null || v === undefined)) return;
    if (typeof v !== 'number' || !Number.isInteger(v) || v < 0 || v >= (c.vocabSize ?? 0)) bad(`"${key}" must be a token id below vocabSize`);
  };
  // Bounds far above any model's, but below what the canvas code and memory can take.
  positive('vocabSize', 4_000_000);
  positive('maxContext', MAX_CONTEXT);
  tokenId('maskTokenId');
  tokenId('eosTokenId');
  tokenId('padTokenId');
  tokenId('bosTokenId', true);
  // The mask is what the model fills; were it also the end or the pad, a fill would end at once.
  if (c.maskTokenId === c.eosTokenId || c.maskTokenId === c.padTokenId) bad(`"maskTokenId" ${c.maskTokenId} must differ from eosTokenId and padTokenId`);
  if (c.tokenHealing !== undefined && typeof c.tokenHealing !== 'boolean') bad('"tokenHealing" must be true or false');
  const onnx = c.onnx;
  if (!onnx || typeof onnx.file !== 'string' || typeof onnx.output !== 'string' || !onnx.inputs || typeof onnx.inputs.inputIds !== 'string') {
    bad('"onnx" must name the file, the output and at least inputs.inputIds');
  }
  const cache = onnx!.cache === undefined ? undefined : checkCache(onnx!.cache, onnx!.inputs, bad);
  const decide = onnx!.decide === undefined ? undefined : checkDecide(onnx!.decide, bad);
  return {
    ...(c as ModelConfig),
    name: c.name ?? path.basename(dir),
    bosTokenId: c.bosTokenId ?? null,
    sampler: c.sampler ?? {},
    tokenHealing: c.tokenHealing ?? true,
    onnx: {
      file: onnx!.file,
      output: onnx!.output,
      inputs: {
        inputIds: onnx!.inputs.inputIds,
        attentionMask: onnx!.inputs.attentionMask ?? null,
        positionIds: onnx!.inputs.positionIds ?? null,
        logitPositions: onnx!.inputs.logitPositions ?? null,
      },
      ...(cache && { cache }),
      ...(decide && { decide }),
    },
  };
}

function checkCache(raw: unknown, inputs: Partial<ModelConfig['onnx']['inputs']>, bad: (what: string) => never): CacheNames {
  const c = raw as Partial<CacheNames>;
  if (typeof c !== 'object' || c === null) bad('"onnx.cache" must be an object');
  for (const key of ['layers', 'kvHeads', 'headDim'] as const) {
    const v = c[key];
    if (typeof v !== 'number' || !Number.isInteger(v) || v < 1 || v > 100_000) bad(`"onnx.cache.${key}" must be a whole number from 1 to 100000`);
  }
  if (c.ropeTheta !== undefined && (typeof c.ropeTheta !== 'number' || !Number.isFinite(c.ropeTheta) || c.ropeTheta <= 1)) {
    bad(`"onnx.cache.ropeTheta" must be a number above 1, not ${JSON.stringify(c.ropeTheta)}`);
  }
  for (const key of ['pastKey', 'pastValue', 'presentKey', 'presentValue'] as const) {
    if (typeof c[key] !== 'string' || !c[key].includes('{layer}')) bad(`"onnx.cache.${key}" must be a name with "{layer}" in it`);
  }
  for (const key of ['attentionMask', 'positionIds', 'logitPositions'] as const) {
    if (typeof inputs[key] !== 'string') bad(`"onnx.cache" needs "onnx.inputs.${key}": a cached step runs some positions and masks stale keys`);
  }
  return c as CacheNames;
}

function checkDecide(raw: unknown, bad: (what: string) => never): DecideNames {
  const d = raw as Partial<DecideNames>;
  if (typeof d !== 'object' || d === null) bad('"onnx.decide" must be an object');
  for (const key of ['token', 'prob', 'secondProb', 'entropy'] as const) {
    if (typeof d[key] !== 'string') bad(`"onnx.decide.${key}" must name a graph output`);
  }
  return d as DecideNames;
}
