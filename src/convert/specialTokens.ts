import * as path from 'node:path';
import { ConvertError } from './convertError';
import { HfConfig, Layout } from './layouts';
import { readJsonIfPresent, TokenizerJson, tokenizerIds } from './tokenizerFiles';

export interface SpecialIds {
  mask: number;
  eos: number;
  pad: number;
  bos: number | null;
}

export type SpecialOverrides = Partial<Record<keyof SpecialIds, number>>;

const first = (v: unknown): number | undefined => {
  const x = Array.isArray(v) ? v[0] : v;
  return typeof x === 'number' && Number.isInteger(x) ? x : undefined;
};

/** tokenizer_config.json's "mask_token": a text, or an AddedToken object with its content. */
const tokenText = (v: unknown): string | undefined =>
  typeof v === 'string'
    ? v
    : v && typeof v === 'object' && typeof (v as { content?: unknown }).content === 'string'
      ? (v as { content: string }).content
      : undefined;

/**
 * The mask, end, pad and begin ids, looked for where the checkpoints keep them: a flag first, then
 * config.json, generation_config.json, tokenizer_config.json's token texts, then the layout's own
 * token texts in the tokenizer (added tokens included, whether from tokenizer.json, added_tokens.json
 * or tokenizer_config.json).  A checkpoint without a findable mask is refused, naming where it looked.
 */
export function specialIds(dir: string, cfg: HfConfig, layout: Layout, tokenizer: TokenizerJson, overrides: SpecialOverrides): SpecialIds {
  const gen = readJsonIfPresent<HfConfig>(path.join(dir, 'generation_config.json')) ?? {};
  const tok = readJsonIfPresent<HfConfig>(path.join(dir, 'tokenizer_config.json')) ?? {};
  const ids = tokenizerIds(tokenizer);
  const byText = (text: string | undefined) => (text === undefined ? undefined : ids.get(text));
  const lookAt = (key: string, texts: string[]) =>
    first(cfg[`${key}_token_id`]) ??
    first(gen[`${key}_token_id`]) ??
    byText(tokenText(tok[`${key}_token`])) ??
    texts.map((t) => ids.get(t)).find((id) => id !== undefined);

  const mask = overrides.mask ?? lookAt('mask', layout.maskTokens);
  if (mask === undefined) {
    throw new ConvertError(
      `${dir}: no mask token: looked for mask_token_id in config.json and generation_config.json, mask_token in tokenizer_config.json, ` +
        `and ${layout.maskTokens.join(', ')} among the tokenizer's tokens (tokenizer.json, added_tokens.json, tokenizer_config.json); ` +
        'a checkpoint without one is not a masked-diffusion model (or give --mask-token-id)',
    );
  }
  const eos = overrides.eos ?? lookAt('eos', ['<|endoftext|>', '<|eot_id|>', '</s>']);
  if (eos === undefined)
    throw new ConvertError(
      `${dir}: no end token: looked for eos_token_id in config.json and generation_config.json, eos_token in tokenizer_config.json and <|endoftext|>; give --eos-token-id`,
    );
  let pad = overrides.pad ?? layout.padTokens.map((t) => ids.get(t)).find((id) => id !== undefined) ?? lookAt('pad', []);
  if (pad === undefined || pad === mask) pad = eos;
  const bos = overrides.bos ?? (layout.noBos ? null : (first(cfg.bos_token_id) ?? first(gen.bos_token_id) ?? byText(tokenText(tok.bos_token)) ?? null));
  return { mask, eos, pad, bos };
}
