/** What a checkpoint's config.json says about the network, and the names its tensors carry. */
export interface Arch {
  /** The registered layout that read it (layouts.ts). */
  layout: string;
  /** The row at i predicts the token at i + 1 (Dream and the models adapted from autoregressive ones). */
  logitsShifted: boolean;
  vocab: number;
  hidden: number;
  layers: number;
  heads: number;
  kvHeads: number;
  headDim: number;
  /** The width the down projection reads (after the gate). */
  inter: number;
  ropeTheta: number;
  /** RMSNorm (eps) or LayerNorm (eps); a norm without weight (or bias) lacks its role in `names`. */
  norm: { kind: 'rms' | 'layer'; eps: number };
  /** Qwen3: an RMSNorm over each head's query and key before the rotary. */
  qkNorm: boolean;
  /** LLaDA's sequential block: q, k and v in one projection (role qkv), split after it. */
  fusedQkv: boolean;
  /** gated: down(silu(gate(x)) * up(x)); fusedSwiglu: the gate's output is [x, gate] halves (LLaDA's sequential block). */
  mlp: 'gated' | 'fusedSwiglu';
  tied: boolean;
  maxPositions: number;
  names: TensorNames;
}

export type LayerRole =
  | 'attnNorm'
  | 'attnNormBias'
  | 'q'
  | 'k'
  | 'v'
  | 'qkv'
  | 'qBias'
  | 'kBias'
  | 'vBias'
  | 'qkvBias'
  | 'qNorm'
  | 'kNorm'
  | 'o'
  | 'oBias'
  | 'mlpNorm'
  | 'mlpNormBias'
  | 'gate'
  | 'gateBias'
  | 'up'
  | 'upBias'
  | 'down'
  | 'downBias';

/** Tensor names by role; `{i}` in a layer's name is the layer's index.  A role the checkpoint lacks is absent. */
export interface TensorNames {
  embed: string;
  norm?: string;
  normBias?: string;
  lmHead: string;
  lmHeadBias?: string;
  layer: Partial<Record<LayerRole, string>>;
}

/** The shape each tensor must have, by name, for the checkpoint to be this network. */
export function expectedShapes(a: Arch): Map<string, number[]> {
  const hd = a.headDim;
  const out = new Map<string, number[]>([[a.names.embed, [a.vocab, a.hidden]]]);
  for (const name of [a.names.norm, a.names.normBias]) if (name) out.set(name, [a.hidden]);
  if (!a.tied) out.set(a.names.lmHead, [a.vocab, a.hidden]);
  if (a.names.lmHeadBias) out.set(a.names.lmHeadBias, [a.vocab]);
  const q = a.heads * hd;
  const kv = a.kvHeads * hd;
  const gateWidth = a.mlp === 'fusedSwiglu' ? 2 * a.inter : a.inter;
  const shapes: Record<LayerRole, number[]> = {
    attnNorm: [a.hidden],
    attnNormBias: [a.hidden],
    q: [q, a.hidden],
    k: [kv, a.hidden],
    v: [kv, a.hidden],
    qkv: [q + 2 * kv, a.hidden],
    qBias: [q],
    kBias: [kv],
    vBias: [kv],
    qkvBias: [q + 2 * kv],
    qNorm: [hd],
    kNorm: [hd],
    o: [a.hidden, q],
    oBias: [a.hidden],
    mlpNorm: [a.hidden],
    mlpNormBias: [a.hidden],
    gate: [gateWidth, a.hidden],
    gateBias: [gateWidth],
    up: [a.inter, a.hidden],
    upBias: [a.inter],
    down: [a.hidden, a.inter],
    downBias: [a.hidden],
  };
  for (let i = 0; i < a.layers; i++) {
    for (const [role, name] of Object.entries(a.names.layer) as [LayerRole, string][]) out.set(name.replace('{i}', String(i)), shapes[role]);
  }
  return out;
}
