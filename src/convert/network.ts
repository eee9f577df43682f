import { decide, DECIDE_NAMES, DECIDE_TYPES, DecideKey } from './decide';
import { Arch, LayerRole } from './layout';
import { FloatAttr, Graph } from './onnxGraph';
import { WeightWriter } from './weights';

/** The cache tensors' names in the graph (docs/model-folder.md, onnx.cache). */
export const CACHE_NAMES = {
  pastKey: 'past_key.{layer}',
  pastValue: 'past_value.{layer}',
  presentKey: 'present_key.{layer}',
  presentValue: 'present_value.{layer}',
} as const;

const layerName = (template: string, layer: number) => template.replace('{layer}', String(layer));

/**
 * The bidirectional transformer of every layout the builder reads, as ONNX nodes (docs/model-folder.md):
 * inputs input_ids, attention_mask, position_ids, logit_positions and, with the cache, each layer's
 * past key and value; outputs float32 logits at the asked rows, the greedy decision and each layer's
 * present key and value.  Without the cache: input_ids, attention_mask, logit_positions -> logits.
 */
export function writeNetwork(g: Graph, w: WeightWriter, a: Arch, cache: boolean): void {
  const ids = g.input('input_ids', 'int64', ['batch', 'seq']);
  const mask = g.input('attention_mask', 'int64', ['batch', 'keys']);
  let pos: string;
  if (cache) pos = g.input('position_ids', 'int64', ['batch', 'seq']);
  else {
    const seq = g.op('Gather', [g.op('Shape', [ids]), g.const(1)], { axis: 0 });
    pos = g.op('Unsqueeze', [g.op('Range', [g.const(0), seq, g.const(1)]), g.const([0])]); // [1, seq]
  }
  const logitPositions = g.input('logit_positions', 'int64', ['batch', 'n']);
  const rope = rotaryAngles(g, pos, a);
  // Keys marked 0 get a large negative score; finite, so an all-masked row cannot turn into NaN.
  const notKept = g.op('Sub', [g.const(1, 'float32'), g.op('Cast', [mask], { to: 1 })]);
  const bias = g.op('Unsqueeze', [g.op('Mul', [notKept, g.const(-1e9, 'float32')]), g.const([1, 2])]); // [b, 1, 1, keys]
  let x = w.gatherRows(ids, a.names.embed);
  for (let i = 0; i < a.layers; i++) {
    const name = (role: LayerRole) => a.names.layer[role]?.replace('{i}', String(i));
    const layer: Layer = { name, linear: (h, role) => linear(g, w, h, name(role)!, name(`${role}Bias` as LayerRole)) };
    x = g.op('Add', [x, attention(g, w, a, norm(g, w, a, x, name('attnNorm'), name('attnNormBias')), layer, rope, bias, cache, i)]);
    x = g.op('Add', [x, mlp(g, a, norm(g, w, a, x, name('mlpNorm'), name('mlpNormBias')), layer)]);
  }
  // The final norm and the output layer only at the asked positions.
  x = g.op('GatherND', [x, g.op('Unsqueeze', [logitPositions, g.const([-1])])], { batch_dims: 1 });
  x = norm(g, w, a, x, a.names.norm, a.names.normBias);
  const logits = linear(g, w, x, a.tied ? a.names.embed : a.names.lmHead, a.names.lmHeadBias);
  g.output(logits, 'logits', 'float32', ['batch', 'n', a.vocab]);
  if (!cache) return;
  const decided = decide(g, logits, a.vocab);
  for (const key of Object.keys(DECIDE_NAMES) as DecideKey[]) g.output(decided[key], DECIDE_NAMES[key], DECIDE_TYPES[key], ['batch', 'n']);
}

/** One layer's tensors: its names by role, and x @ W.T (+ bias) for a role. */
interface Layer {
  name(role: LayerRole): string | undefined;
  linear(x: string, role: LayerRole): string;
}

function linear(g: Graph, w: WeightWriter, x: string, weight: string, bias: string | undefined): string {
  const y = w.matmul(x, weight);
  return bias ? g.op('Add', [y, w.vector(bias)]) : y;
}

/** Cos and sin of each position's angles, [b, 1, 1, s, headDim], in HF's rotate_half layout. */
function rotaryAngles(g: Graph, pos: string, a: Arch): [string, string] {
  const invFreq = ropeInvFreq(a.ropeTheta, a.headDim);
  let ang = g.op('Mul', [g.op('Unsqueeze', [g.op('Cast', [pos], { to: 1 }), g.const([-1])]), g.const(invFreq, 'float32')]);
  ang = g.op('Unsqueeze', [g.op('Concat', [ang, ang], { axis: -1 }), g.const([1, 2])]);
  return [g.op('Cos', [ang]), g.op('Sin', [ang])];
}

/**
 * The rotary frequencies as the upstream models compute them: in float32,
 * 1 / theta ** (arange(0, dim, 2).float() / dim), each step rounded to float32.
 */
export function ropeInvFreq(theta: number, headDim: number): number[] {
  const f = Math.fround;
  const out: number[] = [];
  for (let i = 0; i < headDim; i += 2) out.push(f(1 / f(f(theta) ** f(i / headDim))));
  return out;
}

/** The layout's norm over the last axis; a norm without a weight (LLaDA's non-affine LayerNorm) scales by nothing. */
function norm(g: Graph, w: WeightWriter, a: Arch, x: string, weight: string | undefined, bias: string | undefined): string {
  if (a.norm.kind === 'layer') {
    const scale = weight ? w.vector(weight) : g.const(new Array<number>(a.hidden).fill(1), 'float32');
    return g.op('LayerNormalization', [x, scale, ...(bias ? [w.vector(bias)] : [])], { axis: -1, epsilon: new FloatAttr(a.norm.eps) });
  }
  const y = rmsNorm(g, x, weight ? w.vector(weight) : undefined, a.norm.eps);
  return bias ? g.op('Add', [y, w.vector(bias)]) : y;
}

/** Pow -> ReduceMean -> Add -> Sqrt -> Div -> Mul: the pattern onnxruntime fuses into one kernel. */
function rmsNorm(g: Graph, x: string, weight: string | undefined, eps: number): string {
  const variance = g.op('ReduceMean', [g.op('Pow', [x, g.const(2, 'float32')])], { axes: [-1], keepdims: 1 });
  const y = g.op('Div', [x, g.op('Sqrt', [g.op('Add', [variance, g.const(eps, 'float32')])])]);
  return weight ? g.op('Mul', [y, weight]) : y;
}

/** x * cos + rotate_half(x) * sin, over the last axis. */
function rotate(g: Graph, x: string, [cos, sin]: [string, string], half: number): string {
  const [x1, x2] = g.opN('Split', [x, g.const([half, half])], 2, { axis: -1 });
  const rot = g.op('Concat', [g.op('Neg', [x2]), x1], { axis: -1 });
  return g.op('Add', [g.op('Mul', [x, cos]), g.op('Mul', [rot, sin])]);
}

/**
 * Bidirectional GQA attention: a query head reads key head h // group, so the group's query heads are
 * taken as more rows of their key head ([batch, kv heads, group * seq, head dim]) and no key or value
 * is copied per head; with the cache, the layer's past keys and values come before this call's.
 * bias [batch, 1, 1, keys] masks the keys.
 */
function attention(g: Graph, w: WeightWriter, a: Arch, x: string, layer: Layer, rope: [string, string], bias: string, cache: boolean, index: number): string {
  const hd = a.headDim;
  const rep = a.heads / a.kvHeads;
  const [qy, ky, vy] = a.fusedQkv
    ? g.opN('Split', [layer.linear(x, 'qkv'), g.const([a.heads * hd, a.kvHeads * hd, a.kvHeads * hd])], 3, { axis: -1 })
    : [layer.linear(x, 'q'), layer.linear(x, 'k'), layer.linear(x, 'v')];
  const perHead = (y: string, heads: number[], normRole?: LayerRole) => {
    y = g.op('Reshape', [y, g.const([0, 0, ...heads, hd])]);
    // Qwen3: each head's query and key normalised over the head dimension, before the rotary.
    if (normRole) y = rmsNorm(g, y, w.vector(layer.name(normRole)!), a.norm.eps);
    return g.op('Transpose', [y], { perm: [0, 2, 3, 1, 4] }); // [b, kv, group, s, hd]
  };
  let q = g.op('Mul', [rotate(g, perHead(qy, [a.kvHeads, rep], a.qkNorm ? 'qNorm' : undefined), rope, hd / 2), g.const(1 / Math.sqrt(hd), 'float32')]);
  q = g.op('Reshape', [q, g.const([0, a.kvHeads, -1, hd])]);
  let k = g.op('Squeeze', [rotate(g, perHead(ky, [a.kvHeads, 1], a.qkNorm ? 'kNorm' : undefined), rope, hd / 2), g.const([2])]); // [b, kv, s, hd]
  let v = g.op('Squeeze', [perHead(vy, [a.kvHeads, 1]), g.const([2])]);
  if (cache) {
    g.output(k, layerName(CACHE_NAMES.presentKey, index), 'float32', ['batch', a.kvHeads, 'seq', hd]);
    g.output(v, layerName(CACHE_NAMES.presentValue, index), 'float32', ['batch', a.kvHeads, 'seq', hd]);
    const pastKey = g.input(layerName(CACHE_NAMES.pastKey, index), 'float32', ['batch', a.kvHeads, 'past', hd]);
    const pastValue = g.input(layerName(CACHE_NAMES.pastValue, index), 'float32', ['batch', a.kvHeads, 'past', hd]);
    // A copy of the past a step, and still cheaper than scoring the past in place and merging two
    // softmaxes: that makes more passes over the scores, which outgrow the keys.
    k = g.op('Concat', [pastKey, k], { axis: 2 });
    v = g.op('Concat', [pastValue, v], { axis: 2 });
  }
  const scores = g.op('Add', [g.op('MatMul', [q, g.op('Transpose', [k], { perm: [0, 1, 3, 2] })]), bias]);
  let y = g.op('MatMul', [g.op('Softmax', [scores], { axis: -1 }), v]);
  // [b, kv, group * s, hd] -> [b, s, kv, group, hd] -> [b, s, heads * hd]
  y = g.op('Transpose', [g.op('Reshape', [y, g.const([0, 0, rep, -1, hd])])], { perm: [0, 3, 1, 2, 4] });
  return layer.linear(g.op('Reshape', [y, g.const([0, 0, a.heads * hd])]), 'o');
}

/** SiLU(gate) * up, or for a fused gate ([x, gate] halves of one projection) SiLU(gate) * x; then down. */
function mlp(g: Graph, a: Arch, x: string, layer: Layer): string {
  const silu = (t: string) => g.op('Mul', [t, g.op('Sigmoid', [t])]);
  if (a.mlp === 'fusedSwiglu') {
    const [value, gate] = g.opN('Split', [layer.linear(x, 'gate'), g.const([a.inter, a.inter])], 2, { axis: -1 });
    return layer.linear(g.op('Mul', [silu(gate), value]), 'down');
  }
  return layer.linear(g.op('Mul', [silu(layer.linear(x, 'gate')), layer.linear(x, 'up')]), 'down');
}
