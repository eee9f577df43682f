import * as fs from 'node:fs';
import * as path from 'node:path';
import { expectedShapes } from '../convert/layout';
import { layoutOf } from '../convert/layouts';

const LONG = {
  vocab_size: 16384,
  hidden_size: 384,
  num_hidden_layers: 12,
  num_attention_heads: 6,
  num_key_value_heads: 2,
  intermediate_size: 1280,
  tie_word_embeddings: true,
  rope_theta: 10000,
  max_position_embeddings: 2048,
} as const;

/** The shapes of published checkpoints' config.json (Qwen2.5-Coder-0.5B / Open-dCoder; Qwen2.5-7B / Dream / DiffuCoder), and the bench's own. */
export const SHAPES = {
  '0.5b': {
    vocab_size: 151936,
    hidden_size: 896,
    num_hidden_layers: 24,
    num_attention_heads: 14,
    num_key_value_heads: 2,
    intermediate_size: 4864,
    tie_word_embeddings: true,
  },
  '7b': {
    vocab_size: 152064,
    hidden_size: 3584,
    num_hidden_layers: 28,
    num_attention_heads: 28,
    num_key_value_heads: 4,
    intermediate_size: 18944,
    tie_word_embeddings: false,
  },
  /** The next bundled recipe's shape, with a 2,048-token context: how a step's cost grows with the context. */
  long: LONG,
  /** The same at Qwen2.5's vocabulary: what deciding costs beside a forward there. */
  'qwen-vocab': { ...LONG, vocab_size: 151936 },
} as const;
const SHARD_BYTES = 4 << 30;

/** config.json of a Dream-layout checkpoint of these shapes. */
export function configOf(shape: Record<string, unknown>): Record<string, unknown> {
  const v = shape.vocab_size as number;
  return {
    architectures: ['DreamModel'],
    model_type: 'Dream',
    hidden_act: 'silu',
    rope_theta: 1000000,
    rms_norm_eps: 1e-6,
    max_position_embeddings: 32768,
    eos_token_id: v - 3,
    mask_token_id: v - 2,
    pad_token_id: v - 1,
    bos_token_id: v - 3,
    ...shape,
  };
}

/** A synthetic checkpoint: random bfloat16 weights (or a sparse file of zeros), shards of at most 4 GiB, an index and a byte-level tokenizer. */
export function writeCheckpoint(dir: string, shape: Record<string, unknown>, zeros: boolean): void {
  if (fs.existsSync(path.join(dir, 'model.safetensors.index.json'))) return;
  fs.mkdirSync(dir, { recursive: true });
  const cfg = configOf(shape);
  fs.writeFileSync(path.join(dir, 'config.json'), JSON.stringify(cfg));
  const bytes = Array.from({ length: 256 }, (_, b) => String.fromCodePoint(b < 33 ? 256 + b : b));
  fs.writeFileSync(
    path.join(dir, 'tokenizer.json'),
    JSON.stringify({
      version: '1.0',
      added_tokens: ['<|endoftext|>', '<|mask|>', '<|dlm_pad|>'].map((content, i) => ({
        id: (cfg.vocab_size as number) - 3 + i,
        content,
        special: true,
        single_word: false,
        lstrip: false,
        rstrip: false,
        normalized: false,
      })),
      pre_tokenizer: { type: 'ByteLevel', add_prefix_space: false, trim_offsets: true, use_regex: true },
      decoder: { type: 'ByteLevel', add_prefix_space: false, trim_offsets: true, use_regex: true },
      model: { type: 'BPE', vocab: Object.fromEntries(bytes.map((s, i) => [s, i])), merges: [] },
    }),
  );
  const arch = layoutOf(cfg).arch(cfg);
  const groups: [string, number[]][][] = [[]];
  let size = 0;
  for (const [name, dims] of expectedShapes(arch)) {
    const n = dims.reduce((a, b) => a * b, 1) * 2;
    if (groups[groups.length - 1].length && size + n > SHARD_BYTES) {
      groups.push([]);
      size = 0;
    }
    groups[groups.length - 1].push([name, dims]);
    size += n;
  }
  // Slices of one pool of noise at changing offsets: the values do not matter to the build, only the shapes.
  const pool = new Uint16Array(32 << 20);
  const f = new Float32Array(1);
  const u = new Uint32Array(f.buffer);
  let seed = 12345;
  for (let i = 0; i < pool.length; i++) {
    seed = (seed * 16807) % 2147483647;
    f[0] = (seed / 2147483647 - 0.5) * 0.1;
    pool[i] = u[0] >>> 16;
  }
  const weightMap: Record<string, string> = {};
  groups.forEach((group, g) => {
    const file = `model-${String(g + 1).padStart(5, '0')}-of-${String(groups.length).padStart(5, '0')}.safetensors`;
    const header: Record<string, unknown> = {};
    let off = 0;
    for (const [name, dims] of group) {
      const n = dims.reduce((a, b) => a * b, 1) * 2;
      header[name] = { dtype: 'BF16', shape: dims, data_offsets: [off, off + n] };
      off += n;
      weightMap[name] = file;
    }
    let text = JSON.stringify(header);
    text += ' '.repeat(-text.length & 7);
    const head = Buffer.alloc(8);
    head.writeBigUInt64LE(BigInt(text.length));
    const fd = fs.openSync(path.join(dir, file), 'w');
    fs.writeSync(fd, head);
    fs.writeSync(fd, text);
    if (zeros) fs.ftruncateSync(fd, 8 + text.length + off);
    else {
      let left = off / 2;
      while (left > 0) {
        const k = Math.min(left, pool.length >> 1);
        const start = (seed = (seed * 16807) % 2147483647) % (pool.length >> 1);
        fs.writeSync(fd, pool.subarray(start, start + k));
        left -= k;
      }
    }
    fs.closeSync(fd);
  });
  fs.writeFileSync(path.join(dir, 'model.safetensors.index.json'), JSON.stringify({ metadata: {}, weight_map: weightMap }));
}
