import * as fs from 'node:fs';
import * as path from 'node:path';
import { ConvertError } from './convertError';

/** The parts of a tokenizers tokenizer.json the builder reads. */
export interface TokenizerJson {
  added_tokens?: { id: number; content: string; special?: boolean }[];
  model: { type?: string; vocab: Record<string, number> | unknown; merges?: unknown[]; [key: string]: unknown };
  [key: string]: unknown;
}

/** Qwen2's pre-tokenizer pattern (transformers' Qwen2Tokenizer, and the tokenizer.json its repos ship). */
export const QWEN2_PATTERN = String.raw`(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+`;

export function readJson<T>(file: string): T {
  try {
    return JSON.parse(fs.readFileSync(file, 'utf8')) as T;
  } catch (e) {
    throw new ConvertError(`${file}: ${(e as Error).message}`);
  }
}

export function readJsonIfPresent<T>(file: string): T | undefined {
  return fs.existsSync(file) ? readJson<T>(file) : undefined;
}

/** Added tokens by id, from added_tokens.json and tokenizer_config.json's added_tokens_decoder. */
export function addedTokens(dir: string): Map<number, string> {
  const out = new Map<number, string>();
  const json = readJsonIfPresent<Record<string, number>>(path.join(dir, 'added_tokens.json')) ?? {};
  for (const [content, id] of Object.entries(json)) out.set(id, content);
  const config = readJsonIfPresent<{ added_tokens_decoder?: Record<string, { content: string }> }>(path.join(dir, 'tokenizer_config.json'));
  for (const [id, t] of Object.entries(config?.added_tokens_decoder ?? {})) out.set(Number(id), t.content);
  return out;
}

/**
 * The checkpoint's tokenizer.json, or one built from vocab.json + merges.txt and its added tokens as
 * transformers' Qwen2TokenizerFast builds it from the same files (NFC, Qwen2's split pattern, byte-level
 * BPE with no unknown token), for the Qwen-bodied layouts whose repos ship no tokenizer.json.
 */
export function checkpointTokenizer(dir: string): { tokenizer: TokenizerJson; built: boolean } {
  const file = path.join(dir, 'tokenizer.json');
  if (fs.existsSync(file)) return { tokenizer: readJson<TokenizerJson>(file), built: false };
  const vocabFile = path.join(dir, 'vocab.json');
  const mergesFile = path.join(dir, 'merges.txt');
  if (!fs.existsSync(vocabFile) || !fs.existsSync(mergesFile)) {
    throw new ConvertError(`${dir} has neither tokenizer.json nor vocab.json + merges.txt: no tokenizer to build from`);
  }
  const vocab = readJson<Record<string, number>>(vocabFile);
  const merges = fs
    .readFileSync(mergesFile, 'utf8')
    .split('\n')
    .map((l) => l.replace(/\r$/, ''))
    .filter((l, i) => l && !(i === 0 && l.startsWith('#version')));
  merges.forEach((m, i) => {
    if (m.split(' ').length !== 2) throw new ConvertError(`${mergesFile}: line ${i + 2} is not two symbols: ${JSON.stringify(m)}`);
  });
  const added = [...addedTokens(dir)].sort((a, b) => a[0] - b[0]);
  const byteLevel = { type: 'ByteLevel', add_prefix_space: false, trim_offsets: false, use_regex: false };
  const tokenizer: TokenizerJson = {
    version: '1.0',
    truncation: null,
    padding: null,
    added_tokens: added.map(([id, content]) => ({ id, content, single_word: false, lstrip: false, rstrip: false, normalized: false, special: true })),
    normalizer: { type: 'NFC' },
    pre_tokenizer: {
      type: 'Sequence',
      pretokenizers: [{ type: 'Split', pattern: { Regex: QWEN2_PATTERN }, behavior: 'Isolated', invert: false }, byteLevel],
    },
    post_processor: byteLevel,
    decoder: { ...byteLevel, trim_offsets: true, use_regex: true },
    model: {
      type: 'BPE',
      dropout: null,
      unk_token: null,
      continuing_subword_prefix: '',
      end_of_word_suffix: '',
      fuse_unk: false,
      byte_fallback: false,
      ignore_merges: false,
      vocab,
      merges,
    },
  };
  return { tokenizer, built: true };
}

/** Every id the tokenizer can produce, with its text. */
export function tokenizerIds(t: TokenizerJson): Map<string, number> {
  const out = new Map<string, number>();
  if (t.model.vocab && typeof t.model.vocab === 'object' && !Array.isArray(t.model.vocab)) {
    for (const [text, id] of Object.entries(t.model.vocab as Record<string, number>)) out.set(text, id);
  }
  for (const a of t.added_tokens ?? []) out.set(a.content, a.id);
  return out;
}
