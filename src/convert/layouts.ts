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
  /**
   * The authors' canvas starts with the text itself: their tokenizer adds no BOS, whatever
   * config.json's bos_token_id says (a Qwen2 tokenizer's encode with special tokens adds none).
   */
  noBos?: true;
}

/** A layout the builder refuses, and why. */
interface Refusal {
  matches(cfg: HfConfig): boolean;
  why(cfg: HfConfig): string;
}

const modelType = (cfg: HfConfig) => String(cfg.model_type ?? '').toLowerCase();
const architectures = (cfg: HfConfig) => (Array.isArray(cfg.architectures) ? cfg.architectures.map(String) : []);

/** The config class's defaults, updated by config.json's fields, as transformers builds a config. */
function withDefaults(cfg: HfConfig, defaults: Record<string, unknown>): HfConfig {
  return { ...defaults, ...Object.fromEntries(Object.entries(cfg).filter(([, v]) => v !== undefined)) };
}

function whole(c: HfConfig, ...keys: string[]): number[] {
  const bad = keys.filter((k) => typeof c[k] !== 'number' || !Number.isInteger(c[k]) || (c[k] as number) < 1);
  if (bad.length) throw new ConvertError(`config.json: ${bad.map((k) => `${k} ${JSON.stringify(c[k])}`).join(', ')}: expected whole numbers`);
  return keys.map((k) => c[k] as number);
}

function refuseOptions(layout: string, checks: [boolean, string][]): void {
  const bad = checks.filter(([isBad]) => isBad).map(([, what]) => what);
  if (bad.length) throw new ConvertError(`config.json: ${layout} options the builder does not support: ${bad.join(', ')}`);
}

function dropRoles(layer: TensorNames['layer'], ...roles: LayerRole[]): void {
  for (const r of roles) delete layer[r];
}

/** rope_theta, or transformers v5's rope_parameters.rope_theta; only the plain rotary. */
function ropeTheta(c: HfConfig, layout: string): number {
  const params = (c.rope_parameters ?? {}) as Record<string, unknown>;
  const scaling = (c.rope_scaling ?? {}) as Record<string, unknown>;
  const kind = params.rope_type ?? scaling.rope_type ?? scaling.type;
  refuseOptions(layout, [
    [kind !== undefined && kind !== 'default', `rope type ${JSON.stringify(kind)} (only the plain rotary)`],
    [typeof c.partial_rotary_factor === 'number' && c.partial_rotary_factor !== 1, `partial_rotary_factor ${c.partial_rotary_factor}`],
  ]);
  return Number(params.rope_theta ?? c.rope_theta);
}

const QWEN_LAYER: TensorNames['layer'] = {
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
  oBias: 'model.layers.{i}.self_attn.o_proj.bias',
  mlpNorm: 'model.layers.{i}.post_attention_layernorm.weight',
  gate: 'model.layers.{i}.mlp.gate_proj.weight',
  up: 'model.layers.{i}.mlp.up_proj.weight',
  down: 'model.layers.{i}.mlp.down_proj.weight',
};

/** configuration_dream.DreamConfig's defaults; transformers' Qwen2Config has the same. */
const QWEN2_DEFAULTS = {
  vocab_size: 151936,
  hidden_size: 4096,
  intermediate_size: 22016,
  num_hidden_layers: 32,
  num_attention_heads: 32,
  num_key_value_heads: 32,
  hidden_act: 'silu',
  max_position_embeddings: 32768,
  rms_norm_eps: 1e-6,
  tie_word_embeddings: false,
  rope_theta: 10000,
};
/** transformers' Qwen3Config. */
const QWEN3_DEFAULTS = { ...QWEN2_DEFAULTS, head_dim: 128, attention_bias: false };
/** CoDALanguageModel/model_config.py's CoDAConfig. */
const CODA_DEFAULTS = {
  vocab_size: 151936,
  hidden_size: 2048,
  intermediate_size: 6144,
  num_hidden_layers: 28,
  num_attention_heads: 16,
  num_key_value_heads: 8,
  hidden_act: 'silu',
  max_position_embeddings: 40960,
  rms_norm_eps: 1e-6,
  rope_theta: 1000000,
  head_dim: 128,
  attention_bias: false,
};

interface QwenBody {
  shifted: boolean;
  defaults: Record<string, unknown>;
  /** Qwen3: q/k norms, a head_dim field (its default in `defaults`), every projection's bias by attention_bias. */
  qwen3: boolean;
  /** Whether a head_dim field is read (transformers' Qwen2 reads it; Dream's attention does not). */
  headDimField: boolean;
  /** CoDA's lm_head is its own weight whatever tie_word_embeddings says. */
  neverTied?: boolean;
}

/** The Qwen2 / Qwen3 body of Dream, Open-dCoder, dLLM's A2D models and CoDA, read over its config class's defaults. */
function qwenArch(cfg: HfConfig, layout: string, body: QwenBody): Arch {
  const c = withDefaults(cfg, body.defaults);
  refuseOptions(layout, [
    [c.hidden_act !== 'silu', `hidden_act ${JSON.stringify(c.hidden_act)}`],
    [c.use_sliding_window === true && !body.qwen3 && layout !== 'dream', 'use_sliding_window'],
  ]);
  const [vocab, hidden, layers, heads, inter, maxPositions] = whole(
    c,
    'vocab_size',
    'hidden_size',
    'num_hidden_layers',
    'num_attention_heads',
    'intermediate_size',
    'max_position_embeddings',
  );
  // Absent: the class default; null: the heads (the config classes' "backward compatibility" branch).
  const kvHeads =
    'num_key_value_heads' in cfg && (cfg.num_key_value_heads === null || cfg.num_key_value_heads === undefined) ? heads : (c.num_key_value_heads as number);
  const headDim = body.qwen3 ? Number(c.head_dim ?? body.defaults.head_dim) : body.headDimField && typeof c.head_dim === 'number' ? c.head_dim : hidden / heads;
  if (!Number.isInteger(headDim) || headDim % 2)
    throw new ConvertError(`config.json: head_dim ${headDim} (hidden_size ${hidden} over ${heads} heads) is not an even whole number`);
  if (heads % kvHeads) throw new ConvertError(`config.json: ${heads} attention heads do not share ${kvHeads} key-value heads evenly`);
  if (layout === 'coda' && heads * headDim !== hidden)
    throw new ConvertError(`config.json: ${heads} heads x head_dim ${headDim} != hidden_size ${hidden} (CoDA reshapes the attention output to hidden_size)`);
  const layer = { ...QWEN_LAYER };
  if (!body.qwen3) dropRoles(layer, 'qNorm', 'kNorm', 'oBias');
  else if (c.attention_bias !== true) dropRoles(layer, 'qBias', 'kBias', 'vBias', 'oBias');
  return {
    layout,
    logitsShifted: body.shifted,
    vocab,
    hidden,
    layers,
    heads,
    kvHeads,
    headDim,
    inter,
    ropeTheta: ropeTheta(c, layout),
    norm: { kind: 'rms', eps: Number(c.rms_norm_eps) },
    qkNorm: body.qwen3,
    fusedQkv: false,
    mlp: 'gated',
    tied: !body.neverTied && c.tie_word_embeddings === true,
    maxPositions,
    names: { embed: 'model.embed_tokens.weight', norm: 'model.norm.weight', lmHead: 'lm_head.weight', layer },
  };
}

/** configuration_llada.ModelConfig's defaults (upstream's, not the 8B checkpoint's). */
const LLADA_DEFAULTS = {
  d_model: 768,
  n_heads: 12,
  n_kv_heads: null,
  n_layers: 12,
  mlp_ratio: 4,
  mlp_hidden_size: null,
  activation_type: 'swiglu',
  block_type: 'sequential',
  block_group_size: 1,
  alibi: false,
  rope: false,
  multi_query_attention: null,
  attention_layer_norm: false,
  input_emb_norm: false,
  layer_norm_type: 'default',
  layer_norm_with_affine: true,
  rms_norm_eps: 1e-5,
  max_sequence_length: 1024,
  rope_theta: 10000,
  include_qkv_bias: false,
  include_bias: false,
  bias_for_layer_norm: null,
  scale_logits: false,
  vocab_size: 50257,
  embedding_size: 50304,
  weight_tying: true,
};
/** LayerNorm's eps for layer_norm_type default / low_precision: LLaDA passes rms_norm_eps only to its RMS norms. */
const LLADA_LAYER_NORM_EPS = 1e-5;

/** LLaDA (ML-GSAI/LLaDA modeling_llada.py): the llama block (q/k/v, ff_proj the gate, up_proj) or the sequential one (att_proj, ff_proj the [x, gate] halves). */
function lladaArch(cfg: HfConfig, layout: string): Arch {
  const c = withDefaults(cfg, LLADA_DEFAULTS);
  const llama = c.block_type === 'llama';
  refuseOptions(layout, [
    [c.rope !== true, 'rope false (upstream asserts that RoPE is used)'],
    [c.alibi === true, 'alibi'],
    [c.attention_layer_norm === true, 'attention_layer_norm'],
    [c.input_emb_norm === true, 'input_emb_norm'],
    [c.scale_logits === true, 'scale_logits'],
    [Number(c.block_group_size) !== 1, `block_group_size ${c.block_group_size}`],
    [!['llama', 'sequential'].includes(String(c.block_type)), `block_type ${JSON.stringify(c.block_type)}`],
    [!['default', 'low_precision', 'rms'].includes(String(c.layer_norm_type)), `layer_norm_type ${JSON.stringify(c.layer_norm_type)}`],
    [llama ? c.activation_type !== 'silu' : c.activation_type !== 'swiglu', `activation_type ${JSON.stringify(c.activation_type)} in a ${c.block_type} block`],
    [c.multi_query_attention === true, 'multi_query_attention'],
  ]);
  const [hidden, heads, layers] = whole(c, 'd_model', 'n_heads', 'n_layers');
  const mlpWidth = typeof c.mlp_hidden_size === 'number' ? c.mlp_hidden_size : Number(c.mlp_ratio) * hidden;
  const vocab = typeof c.embedding_size === 'number' ? c.embedding_size : Number(c.vocab_size);
  const kvHeads = typeof c.n_kv_heads === 'number' ? c.n_kv_heads : heads;
  const bias = c.include_bias === true;
  const qkvBias = bias || c.include_qkv_bias === true;
  const normBias = c.bias_for_layer_norm === null || c.bias_for_layer_norm === undefined ? bias : c.bias_for_layer_norm === true;
  const affine = c.layer_norm_with_affine !== false;
  const b = 'model.transformer.blocks.{i}';
  const layer: TensorNames['layer'] = llama
    ? {
        q: `${b}.q_proj.weight`,
        k: `${b}.k_proj.weight`,
        v: `${b}.v_proj.weight`,
        up: `${b}.up_proj.weight`,
        ...(qkvBias && { qBias: `${b}.q_proj.bias`, kBias: `${b}.k_proj.bias`, vBias: `${b}.v_proj.bias` }),
        ...(bias && { upBias: `${b}.up_proj.bias` }),
      }
    : { qkv: `${b}.att_proj.weight`, ...(qkvBias && { qkvBias: `${b}.att_proj.bias` }) };
  Object.assign(layer, {
    o: `${b}.attn_out.weight`,
    gate: `${b}.ff_proj.weight`,
    down: `${b}.ff_out.weight`,
    ...(bias && { oBias: `${b}.attn_out.bias`, gateBias: `${b}.ff_proj.bias`, downBias: `${b}.ff_out.bias` }),
    ...(affine && { attnNorm: `${b}.attn_norm.weight`, mlpNorm: `${b}.ff_norm.weight` }),
    ...(affine && normBias && { attnNormBias: `${b}.attn_norm.bias`, mlpNormBias: `${b}.ff_norm.bias` }),
  });
  const layerNorm = c.layer_norm_type !== 'rms';
  return {
    layout,
    logitsShifted: false,
    vocab,
    hidden,
    layers,
    heads,
    kvHeads,
    headDim: hidden / heads,
    inter: llama ? mlpWidth : mlpWidth / 2,
    ropeTheta: Number(c.rope_theta),
    norm: { kind: layerNorm ? 'layer' : 'rms', eps: layerNorm ? LLADA_LAYER_NORM_EPS : Number(c.rms_norm_eps) },
    qkNorm: false,
    fusedQkv: !llama,
    mlp: llama ? 'gated' : 'fusedSwiglu',
    tied: c.weight_tying === true,
    maxPositions: Number(c.max_sequence_length),
    names: {
      embed: 'model.transformer.wte.weight',
      ...(affine && { norm: 'model.transformer.ln_f.weight' }),
      ...(affine && normBias && { normBias: 'model.transformer.ln_f.bias' }),
      lmHead: 'model.transformer.ff_out.weight',
      ...(bias && c.weight_tying !== true && { lmHeadBias: 'model.transformer.ff_out.bias' }),
      layer,
    },
  };
}

/** Every layout the builder reads, in the order they are tried (as convert_hf_to_gguf registers its architectures). */
export const LAYOUTS: Layout[] = [
  {
    name: 'dream',
    describes: 'Qwen2 body, logits shifted (Dream, DiffuCoder, Dream-Coder, DreamOn)',
    matches: (cfg) => modelType(cfg) === 'dream',
    arch: (cfg) => qwenArch(cfg, 'dream', { shifted: true, defaults: QWEN2_DEFAULTS, qwen3: false, headDimField: false }),
    maskTokens: ['<|mask|>'],
    padTokens: ['<|dlm_pad|>'],
    alg: 'entropy',
  },
  {
    name: 'open-dcoder',
    describes: 'a plain Qwen2 config whose tokenizer has a mask token, logits shifted (Open-dCoder)',
    matches: (cfg) => modelType(cfg) === 'qwen2',
    arch: (cfg) => qwenArch(cfg, 'open-dcoder', { shifted: true, defaults: QWEN2_DEFAULTS, qwen3: false, headDimField: true }),
    maskTokens: ['<M>', '<|mask|>'],
    padTokens: [],
    alg: 'entropy',
    // Open-dLLM's eval_infill.py: tokenizer.encode(prefix, add_special_tokens=True) + masks + suffix.
    noBos: true,
  },
  {
    name: 'a2d-qwen2',
    describes: "dLLM's Qwen2 adapted to diffusion (A2D), logits in place",
    matches: (cfg) => modelType(cfg) === 'a2d-qwen2',
    arch: (cfg) => qwenArch(cfg, 'a2d-qwen2', { shifted: false, defaults: QWEN2_DEFAULTS, qwen3: false, headDimField: true }),
    maskTokens: ['<|mask|>'],
    padTokens: [],
    alg: 'low_confidence',
  },
  {
    name: 'coda',
    describes: "Salesforce's CoDA, a Qwen3 body, logits shifted",
    matches: (cfg) => modelType(cfg) === 'coda',
    arch: (cfg) => qwenArch(cfg, 'coda', { shifted: true, defaults: CODA_DEFAULTS, qwen3: true, headDimField: true, neverTied: true }),
    maskTokens: ['<|mask|>', '<|MASK|>'],
    padTokens: [],
    alg: 'entropy',
  },
  {
    name: 'a2d-qwen3',
    describes: "dLLM's Qwen3 adapted to diffusion (A2D), logits in place",
    matches: (cfg) => modelType(cfg) === 'a2d-qwen3',
    arch: (cfg) => qwenArch(cfg, 'a2d-qwen3', { shifted: false, defaults: QWEN3_DEFAULTS, qwen3: true, headDimField: true }),
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

const BLOCK_CAUSAL: Record<string, string> = {
  sdar: 'SDAR',
  sdar_moe: 'SDAR-MoE',
  fast_dllm_qwen: 'Fast-dLLM v2',
  llada2_moe: 'LLaDA2',
  llada21_moe: 'LLaDA2.1',
};
const MOE_FIELDS = ['num_experts', 'num_local_experts', 'n_routed_experts'];
const REFUSALS: Refusal[] = [
  {
    matches: (cfg) => modelType(cfg) in BLOCK_CAUSAL || cfg.bd_size !== undefined,
    why: (cfg) =>
      `${describe(cfg)} (${BLOCK_CAUSAL[modelType(cfg)] ?? 'bd_size'}) is a block-causal model: a block sees only the blocks before it, so a hole cannot see the code after it, which infilling needs`,
  },
  {
    matches: (cfg) => modelType(cfg).includes('moe') || MOE_FIELDS.some((f) => Number(cfg[f] ?? 0) > 1),
    why: (cfg) => `${describe(cfg)} is a mixture of experts, which the builder does not support`,
  },
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
