import * as fs from 'node:fs';
import * as path from 'node:path';

/** A tensor to write: its dtype in the file and float32 values (rounded to the dtype on the way). */
export interface TensorSpec {
  dtype: 'F32' | 'F16' | 'BF16';
  shape: number[];
  values: Float32Array;
}

/** A safetensors file: the header's JSON padded to 8 bytes, then each tensor's bytes. */
export function writeSafetensors(file: string, tensors: Record<string, TensorSpec>): void {
  const header: Record<string, unknown> = {};
  const parts: Buffer[] = [];
  let offset = 0;
  for (const [name, t] of Object.entries(tensors)) {
    const bytes = encodeTensor(t);
    header[name] = { dtype: t.dtype, shape: t.shape, data_offsets: [offset, offset + bytes.length] };
    parts.push(bytes);
    offset += bytes.length;
  }
  let text = JSON.stringify(header);
  text += ' '.repeat(-text.length & 7);
  const head = Buffer.alloc(8);
  head.writeBigUInt64LE(BigInt(Buffer.byteLength(text)));
  fs.writeFileSync(file, Buffer.concat([head, Buffer.from(text), ...parts]));
}

function encodeTensor(t: TensorSpec): Buffer {
  if (t.dtype === 'F32') return Buffer.from(t.values.buffer, t.values.byteOffset, t.values.byteLength);
  const out = Buffer.alloc(t.values.length * 2);
  const bits = new Uint32Array(Float32Array.from(t.values).buffer);
  // bfloat16: the top half of the float32, rounded to nearest even; float16 only for small test values.
  for (let i = 0; i < bits.length; i++) {
    if (t.dtype === 'BF16') out.writeUInt16LE(((bits[i] + 0x7fff + ((bits[i] >> 16) & 1)) >>> 16) & 0xffff, i * 2);
    else out.writeUInt16LE(toHalf(t.values[i]), i * 2);
  }
  return out;
}

function toHalf(v: number): number {
  const f = new Float32Array([v]);
  const x = new Uint32Array(f.buffer)[0];
  const sign = (x >>> 16) & 0x8000;
  const e = ((x >>> 23) & 0xff) - 112;
  if (e <= 0) return sign;
  return sign | (e << 10) | ((x >>> 13) & 0x3ff);
}

/** Deterministic normal-ish values. */
export function randomValues(n: number, seed: number, scale = 0.3): Float32Array {
  let s = seed || 1;
  const rnd = () => (s = (s * 16807) % 2147483647) / 2147483647;
  return Float32Array.from({ length: n }, () => (rnd() + rnd() + rnd() - 1.5) * 2 * scale);
}

export const TINY_DREAM = { vocab: 300, hidden: 32, layers: 2, heads: 4, kvHeads: 2, inter: 48 };
/** The tiny tokenizer's special tokens: after 256 bytes, in the vocabulary's order. */
export const SPECIALS = ['<|endoftext|>', '<|mask|>', '<|dlm_pad|>'];

/** A byte-level tokenizer.json with the special tokens after the 256 bytes (ids 256...). */
export function byteTokenizer(merges: [string, string][] = []): Record<string, unknown> {
  const vocab: Record<string, number> = {};
  byteSymbols().forEach((s, b) => (vocab[s] = b));
  for (const [a, b] of merges) vocab[a + b] = Object.keys(vocab).length;
  const first = Object.keys(vocab).length;
  return {
    version: '1.0',
    added_tokens: SPECIALS.map((content, i) => ({
      id: first + i,
      content,
      single_word: false,
      lstrip: false,
      rstrip: false,
      normalized: false,
      special: true,
    })),
    normalizer: null,
    pre_tokenizer: { type: 'ByteLevel', add_prefix_space: false, trim_offsets: true, use_regex: true },
    post_processor: null,
    decoder: { type: 'ByteLevel', add_prefix_space: false, trim_offsets: true, use_regex: true },
    model: {
      type: 'BPE',
      dropout: null,
      unk_token: null,
      continuing_subword_prefix: null,
      end_of_word_suffix: null,
      fuse_unk: false,
      byte_fallback: false,
      vocab,
      merges: merges.map(([a, b]) => `${a} ${b}`),
    },
  };
}

/** GPT-2's reversible byte -> printable character table, as a list by byte. */
export function byteSymbols(): string[] {
  const bs: number[] = [];
  for (let b = 33; b <= 126; b++) bs.push(b);
  for (let b = 161; b <= 172; b++) bs.push(b);
  for (let b = 174; b <= 255; b++) bs.push(b);
  const cs = [...bs];
  let n = 0;
  for (let b = 0; b < 256; b++) {
    if (!bs.includes(b)) {
      bs.push(b);
      cs.push(256 + n++);
    }
  }
  const out: string[] = [];
  bs.forEach((b, i) => (out[b] = String.fromCodePoint(cs[i])));
  return out;
}

/** A tiny random Dream-layout checkpoint (model_type Dream, tied embeddings, BF16 layers in one shard, the rest F32 in another, with an index). */
export function writeTinyDream(dir: string, shape = TINY_DREAM): void {
  fs.mkdirSync(dir, { recursive: true });
  const { vocab, hidden, layers, heads, kvHeads, inter } = shape;
  const hd = hidden / heads;
  const first = 256;
  fs.writeFileSync(
    path.join(dir, 'config.json'),
    JSON.stringify({
      architectures: ['DreamModel'],
      model_type: 'Dream',
      hidden_act: 'silu',
      hidden_size: hidden,
      intermediate_size: inter,
      num_attention_heads: heads,
      num_hidden_layers: layers,
      num_key_value_heads: kvHeads,
      vocab_size: vocab,
      max_position_embeddings: 512,
      rms_norm_eps: 1e-6,
      rope_theta: 10000,
      tie_word_embeddings: true,
      eos_token_id: first,
      mask_token_id: first + 1,
      pad_token_id: first,
      bos_token_id: first,
    }),
  );
  fs.writeFileSync(path.join(dir, 'tokenizer.json'), JSON.stringify(byteTokenizer()));
  const layerTensors: Record<string, TensorSpec> = {};
  let seed = 1;
  const t = (dtype: TensorSpec['dtype'], shape: number[]): TensorSpec => ({
    dtype,
    shape,
    values: randomValues(
      shape.reduce((a, b) => a * b, 1),
      seed++,
    ),
  });
  for (let i = 0; i < layers; i++) {
    const p = `model.layers.${i}`;
    Object.assign(layerTensors, {
      [`${p}.input_layernorm.weight`]: t('BF16', [hidden]),
      [`${p}.self_attn.q_proj.weight`]: t('BF16', [heads * hd, hidden]),
      [`${p}.self_attn.q_proj.bias`]: t('BF16', [heads * hd]),
      [`${p}.self_attn.k_proj.weight`]: t('BF16', [kvHeads * hd, hidden]),
      [`${p}.self_attn.k_proj.bias`]: t('BF16', [kvHeads * hd]),
      [`${p}.self_attn.v_proj.weight`]: t('BF16', [kvHeads * hd, hidden]),
      [`${p}.self_attn.v_proj.bias`]: t('BF16', [kvHeads * hd]),
      [`${p}.self_attn.o_proj.weight`]: t('BF16', [hidden, heads * hd]),
      [`${p}.post_attention_layernorm.weight`]: t('BF16', [hidden]),
      [`${p}.mlp.gate_proj.weight`]: t('BF16', [inter, hidden]),
      [`${p}.mlp.up_proj.weight`]: t('BF16', [inter, hidden]),
      [`${p}.mlp.down_proj.weight`]: t('BF16', [hidden, inter]),
    });
  }
  const rest = { 'model.embed_tokens.weight': t('F32', [vocab, hidden]), 'model.norm.weight': t('F32', [hidden]) };
  const shards = { 'model-00001-of-00002.safetensors': layerTensors, 'model-00002-of-00002.safetensors': rest };
  const weightMap: Record<string, string> = {};
  for (const [file, tensors] of Object.entries(shards)) {
    writeSafetensors(path.join(dir, file), tensors);
    for (const name of Object.keys(tensors)) weightMap[name] = file;
  }
  fs.writeFileSync(path.join(dir, 'model.safetensors.index.json'), JSON.stringify({ metadata: {}, weight_map: weightMap }));
}
