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
  inter: number;
  ropeTheta: number;
  eps: number;
  norm: 'rms' | 'layer';
  qkvBias: boolean;
  /** Qwen3: an RMSNorm over each head's query and key before the rotary. */
  qkNorm: boolean;
  tied: boolean;
  maxPositions: number;
  names: TensorNames;
}

export type LayerRole =
  'attnNorm' | 'attnNormBias' | 'q' | 'k' | 'v' | 'qBias' | 'kBias' | 'vBias' | 'qNorm' | 'kNorm' | 'o' | 'mlpNorm' | 'mlpNormBias' | 'gate' | 'up' | 'down';

/** Tensor names by role; `{i}` in a layer's name is the layer's index.  A role the layout lacks is absent. */
export interface TensorNames {
  embed: string;
  norm: string;
  normBias?: string;
  lmHead: string;
  layer: Partial<Record<LayerRole, string>>;
}

/** The shape each tensor must have, by name, for the checkpoint to be this network. */
export function expectedShapes(a: Arch): Map<string, number[]> {
  const hd = a.headDim;
  const out = new Map<string, number[]>([
    [a.names.embed, [a.vocab, a.hidden]],
    [a.names.norm, [a.hidden]],
  ]);
  if (a.names.normBias) out.set(a.names.normBias, [a.hidden]);
  if (!a.tied) out.set(a.names.lmHead, [a.vocab, a.hidden]);
  const shapes: Partial<Record<LayerRole, number[]>> = {
    attnNorm: [a.hidden],
    attnNormBias: [a.hidden],
    q: [a.heads * hd, a.hidden],
    k: [a.kvHeads * hd, a.hidden],
    v: [a.kvHeads * hd, a.hidden],
    o: [a.hidden, a.heads * hd],
    mlpNorm: [a.hidden],
    mlpNormBias: [a.hidden],
    gate: [a.inter, a.hidden],
    up: [a.inter, a.hidden],
    down: [a.hidden, a.inter],
  };
  if (a.qkvBias) Object.assign(shapes, { qBias: [a.heads * hd], kBias: [a.kvHeads * hd], vBias: [a.kvHeads * hd] });
  if (a.qkNorm) Object.assign(shapes, { qNorm: [hd], kNorm: [hd] });
  for (let i = 0; i < a.layers; i++) {
    for (const [role, shape] of Object.entries(shapes) as [LayerRole, number[]][]) {
      const name = a.names.layer[role];
      if (name) out.set(name.replace('{i}', String(i)), shape);
    }
  }
  return out;
}
