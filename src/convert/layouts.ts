import { ConvertError } from './convertError';
import { Arch, LayerRole, TensorNames } from './layout';

/** A checkpoint's config.json, as parsed. */
export type HfConfig = Record<string, unknown>;

/**
 * One checkpoint layout the builder reads: how to tell it from config.json (model_type, fields,
 * never a repo's name), the network it is, and the special tokens its own tooling uses.
 */
export interface Layout {
  name: string;
  /** What it is, for messages and the docs. */
  describes: string;
  matches(cfg: HfConfig): boolean;
  arch(cfg: HfConfig): Arch;
  /** Token texts that are this layout's mask, looked up in the tokenizer when no config names the id. */
  maskTokens: string[];
  /** A pad token the layout's models were trained to fill a hole's end with, when the tokenizer has it. */
  padTokens: string[];
  /** The sampler its authors use (model.json sampler.alg). */
  alg: string;
}

/** A layout the builder refuses, and why. */
interface Refusal {
  matches(cfg: HfConfig): boolean;
  why(cfg: HfConfig): string;
}

const modelType = (cfg: HfConfig) => String(cfg.model_type ?? '').toLowerCase();
const architectures = (cfg: HfConfig) => (Array.isArray(cfg.architectures) ? cfg.architectures.map(String) : []);

function need(cfg: HfConfig, ...keys: string[]): number[] {
  const missing = keys.filter((k) => typeof cfg[k] !== 'number');
  if (missing.length) throw new ConvertError(`config.json lacks ${missing.join(', ')}`);
  return keys.map((k) => cfg[k] as number);
}

const num = (cfg: HfConfig, key: string, fallback: number) => (typeof cfg[key] === 'number' ? (cfg[key] as number) : fallback);

function refuseOptions(cfg: HfConfig, layout: string, checks: [boolean, string][]): void {
  const bad = checks.filter(([isBad]) => isBad).map(([, what]) => what);
  if (bad.length) throw new ConvertError(`config.json: ${layout} options the builder does not support: ${bad.join(', ')}`);
}

function dropRoles(layer: TensorNames['layer'], ...roles: LayerRole[]): void {
  for (const r of roles) delete layer[r];
}

const QWEN2_NAMES: TensorNames = {
  embed: 'model.embed_tokens.weight',
  norm: 'model.norm.weight',
  lmHead: 'lm_head.weight',
  layer: {
    attnNorm: 'model.layers.{i}.input_layernorm.weight',
    q: 'model.layers.{i}.self_attn.q_proj.weight',
    k: 'model.layers.{i}.self_attn.k_proj.weight',
    v: 'model.layers.{i}.self_attn.v_proj.weight',
    qBias: 'model.layers.{i}.self_attn.q_proj.bias',
    kBias: 'model.layers.{i}.self_attn.k_proj.bias',
    vBias: 'model.layers.{i}.self_attn.v_proj.bias',
    qNorm: 'model.layers.{i}.self_attn.q_norm.weight',
    kNorm: 'model.layers.{i}.self_attn.k_norm.weight',
    o: 'model.layers.{i}.self_attn.o_proj.weight',
    mlpNorm: 'model.layers.{i}.post_attention_layernorm.weight',
    gate: 'model.layers.{i}.mlp.gate_proj.weight',
    up: 'model.layers.{i}.mlp.up_proj.weight',
    down: 'model.layers.{i}.mlp.down_proj.weight',
  },
};

/** The Qwen2 / Qwen3 body from the HF config fields; Qwen3 has q/k norms, a head_dim field and no q/k/v bias. */
function qwenArch(cfg: HfConfig, layout: string, logitsShifted: boolean, qwen3: boolean): Arch {
  refuseOptions(cfg, layout, [
    [Boolean(cfg.rope_scaling), `rope_scaling=${JSON.stringify(cfg.rope_scaling)} (only plain RoPE)`],
    [(cfg.hidden_act ?? 'silu') !== 'silu', `hidden_act=${JSON.stringify(cfg.hidden_act)}`],
    [cfg.use_sliding_window === true, 'use_sliding_window=true'],
  ]);
  const [vocab, hidden, layers, heads, inter] = need(cfg, 'vocab_size', 'hidden_size', 'num_hidden_layers', 'num_attention_heads', 'intermediate_size');
  const qkvBias = qwen3 ? cfg.attention_bias === true : cfg.attention_bias !== false;
  const layer = { ...QWEN2_NAMES.layer };
  if (!qwen3) dropRoles(layer, 'qNorm', 'kNorm');
  if (!qkvBias) dropRoles(layer, 'qBias', 'kBias', 'vBias');
  return {
    layout,
    logitsShifted,
    vocab,
    hidden,
    layers,
    heads,
    kvHeads: num(cfg, 'num_key_value_heads', heads),
    headDim: qwen3 ? num(cfg, 'head_dim', hidden / heads) : hidden / heads,
    inter,
    ropeTheta: num(cfg, 'rope_theta', 10000),
    eps: num(cfg, 'rms_norm_eps', 1e-6),
    norm: 'rms',
    qkvBias,
    qkNorm: qwen3,
    tied: cfg.tie_word_embeddings === true,
    maxPositions: num(cfg, 'max_position_embeddings', 2048),
    names: { ...QWEN2_NAMES, layer },
  };
}

const LLADA_NAMES: TensorNames = {
  embed: 'model.transformer.wte.weight',
  norm: 'model.transformer.ln_f.weight',
  lmHead: 'model.transformer.ff_out.weight',
  layer: {
    attnNorm: 'model.transformer.blocks.{i}.attn_norm.weight',
    q: 'model.transformer.blocks.{i}.q_proj.weight',
    k: 'model.transformer.blocks.{i}.k_proj.weight',
    v: 'model.transformer.blocks.{i}.v_proj.weight',
    qBias: 'model.transformer.blocks.{i}.q_proj.bias',
    kBias: 'model.transformer.blocks.{i}.k_proj.bias',
    vBias: 'model.transformer.blocks.{i}.v_proj.bias',
    o: 'model.transformer.blocks.{i}.attn_out.weight',
    mlpNorm: 'model.transformer.blocks.{i}.ff_norm.weight',
    gate: 'model.transformer.blocks.{i}.ff_proj.weight',
    up: 'model.transformer.blocks.{i}.up_proj.weight',
    down: 'model.transformer.blocks.{i}.ff_out.weight',
  },
};

function lladaArch(cfg: HfConfig, layout: string): Arch {
  const flag = (k: string) => cfg[k] !== undefined && cfg[k] !== null && cfg[k] !== false;
  refuseOptions(cfg, layout, [
    [flag('alibi'), 'alibi=true'],
    [flag('attention_layer_norm'), 'attention_layer_norm=true'],
    [flag('clip_qkv'), `clip_qkv=${cfg.clip_qkv}`],
    [flag('input_emb_norm'), 'input_emb_norm=true'],
    [flag('scale_logits'), 'scale_logits=true'],
    [flag('multi_query_attention'), 'multi_query_attention=true'],
    [String(cfg.block_type ?? 'llama').toLowerCase() !== 'llama', `block_type=${JSON.stringify(cfg.block_type)}`],
    [cfg.rope === false, 'rope=false'],
    [!['silu', 'swiglu'].includes(String(cfg.activation_type ?? 'silu').toLowerCase()), `activation_type=${JSON.stringify(cfg.activation_type)}`],
    [!['rms', 'rmslayernorm'].includes(String(cfg.layer_norm_type ?? 'rms').toLowerCase()), `layer_norm_type=${JSON.stringify(cfg.layer_norm_type)}`],
  ]);
  const [hidden, heads, layers, inter] = need(cfg, 'd_model', 'n_heads', 'n_layers', 'mlp_hidden_size');
  const vocab = typeof cfg.embedding_size === 'number' ? cfg.embedding_size : need(cfg, 'vocab_size')[0];
  const qkvBias = cfg.include_bias === true || cfg.include_qkv_bias === true;
  const layer = { ...LLADA_NAMES.layer };
  if (!qkvBias) dropRoles(layer, 'qBias', 'kBias', 'vBias');
  return {
    layout,
    logitsShifted: false,
    vocab,
    hidden,
    layers,
    heads,
    kvHeads: num(cfg, 'n_kv_heads', heads),
    headDim: hidden / heads,
    inter,
    ropeTheta: num(cfg, 'rope_theta', 10000),
    eps: num(cfg, 'rms_norm_eps', 1e-5),
    norm: 'rms',
    qkvBias,
    qkNorm: false,
    tied: cfg.weight_tying === true,
    maxPositions: num(cfg, 'max_sequence_length', 4096),
    names: { ...LLADA_NAMES, layer },
  };
}

/** Every layout the builder reads, in the order they are tried (as convert_hf_to_gguf registers its architectures). */
export const LAYOUTS: Layout[] = [
  {
    name: 'dream',
    describes: 'Qwen2 body, logits shifted (Dream, DiffuCoder, Dream-Coder, DreamOn)',
    matches: (cfg) => modelType(cfg) === 'dream',
    arch: (cfg) => qwenArch(cfg, 'dream', true, false),
    maskTokens: ['<|mask|>'],
    padTokens: ['<|dlm_pad|>'],
    alg: 'entropy',
  },
  {
    name: 'qwen2-shifted',
    describes: 'plain Qwen2 config with a mask token, logits shifted (Open-dCoder)',
    matches: (cfg) => modelType(cfg) === 'qwen2',
    arch: (cfg) => qwenArch(cfg, 'qwen2-shifted', true, false),
    maskTokens: ['<M>', '<|mask|>'],
    padTokens: [],
    alg: 'entropy',
  },
  {
    name: 'a2d-qwen2',
    describes: "dLLM's Qwen2 adapted to diffusion, logits in place",
    matches: (cfg) => modelType(cfg) === 'a2d-qwen2',
    arch: (cfg) => qwenArch(cfg, 'a2d-qwen2', false, false),
    maskTokens: ['<|mask|>'],
    padTokens: [],
    alg: 'low_confidence',
  },
  {
    name: 'a2d-qwen3',
    describes: "dLLM's Qwen3 adapted to diffusion, logits in place",
    matches: (cfg) => modelType(cfg) === 'a2d-qwen3',
    arch: (cfg) => qwenArch(cfg, 'a2d-qwen3', false, true),
    maskTokens: ['<|mask|>', '<|MASK|>'],
    padTokens: [],
    alg: 'low_confidence',
  },
  {
    name: 'llada',
    describes: 'LLaDA and iLLaDA, logits in place',
    matches: (cfg) => modelType(cfg) === 'llada',
    arch: (cfg) => lladaArch(cfg, 'llada'),
    maskTokens: ['<|mdm_mask|>'],
    padTokens: [],
    alg: 'low_confidence',
  },
];

const BLOCK_CAUSAL = 'a block-causal model: a hole cannot see the code after it, which infilling needs';
const REFUSALS: Refusal[] = [
  {
    matches: (cfg) => /moe/.test(modelType(cfg)) || architectures(cfg).some((a) => /moe/i.test(a)),
    why: (cfg) => `${describe(cfg)} is a mixture of experts, which the builder does not support`,
  },
  { matches: (cfg) => ['sdar', 'fast_dllm', 'llada2', 'bd3lm'].some((t) => modelType(cfg).includes(t)), why: (cfg) => `${describe(cfg)} is ${BLOCK_CAUSAL}` },
];

function describe(cfg: HfConfig): string {
  return `model_type ${JSON.stringify(cfg.model_type ?? null)} (architectures ${JSON.stringify(architectures(cfg))})`;
}

/** The layout of a checkpoint's config.json, or an error saying why it cannot be built. */
export function layoutOf(cfg: HfConfig): Layout {
  for (const r of REFUSALS) if (r.matches(cfg)) throw new ConvertError(`config.json: ${r.why(cfg)}`);
  const found = LAYOUTS.find((l) => l.matches(cfg));
  if (!found) {
    throw new ConvertError(
      `config.json: ${describe(cfg)} is not a layout the builder reads; it reads ${LAYOUTS.map((l) => `${l.name} (${l.describes})`).join('; ')}`,
    );
  }
  return found;
}
