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
    const opt = (role: LayerRole) => a.names.layer[role]?.replace('{i}', String(i));
    const n = (role: LayerRole) => opt(role)!;
    x = g.op('Add', [x, attention(g, w, a, norm(g, w, a, x, n('attnNorm'), opt('attnNormBias')), n, rope, bias, cache, i)]);
    x = g.op('Add', [x, mlp(g, w, norm(g, w, a, x, n('mlpNorm'), opt('mlpNormBias')), n)]);
  }
  // The final norm and the output layer only at the asked positions.
  x = g.op('GatherND', [x, g.op('Unsqueeze', [logitPositions, g.const([-1])])], { batch_dims: 1 });
  x = norm(g, w, a, x, a.names.norm, a.names.normBias);
  const logits = w.matmul(x, a.tied ? a.names.embed : a.names.lmHead);
  g.output(logits, 'logits', 'float32', ['batch', 'n', a.vocab]);
  if (!cache) return;
  const decided = decide(g, logits, a.vocab);
  for (const key of Object.keys(DECIDE_NAMES) as DecideKey[]) g.output(decided[key], DECIDE_NAMES[key], DECIDE_TYPES[key], ['batch', 'n']);
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

function norm(g: Graph, w: WeightWriter, a: Arch, x: string, weight: string, bias: string | undefined): string {
  if (a.norm === 'layer') {
    const inputs = [x, w.vector(weight)];
    if (bias) inputs.push(w.vector(bias));
    return g.op('LayerNormalization', inputs, { axis: -1, epsilon: new FloatAttr(a.eps) });
  }
  return rmsNorm(g, x, w.vector(weight), a.eps);
}

/** Pow -> ReduceMean -> Add -> Sqrt -> Div -> Mul: the pattern onnxruntime fuses into one kernel. */
function rmsNorm(g: Graph, x: string, weight: string, eps: number): string {
  const variance = g.op('ReduceMean', [g.op('Pow', [x, g.const(2, 'float32')])], { axes: [-1], keepdims: 1 });
  return g.op('Mul', [g.op('Div', [x, g.op('Sqrt', [g.op('Add', [variance, g.const(eps, 'float32')])])]), weight]);
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
function attention(
  g: Graph,
  w: WeightWriter,
  a: Arch,
  x: string,
  n: (role: LayerRole) => string,
  rope: [string, string],
  bias: string,
  cache: boolean,
  layer: number,
): string {
  const hd = a.headDim;
  const rep = a.heads / a.kvHeads;
  const proj = (role: 'q' | 'k' | 'v', heads: number[]) => {
    let y = w.matmul(x, n(role));
    if (a.qkvBias) y = g.op('Add', [y, w.vector(n(`${role}Bias`))]);
    y = g.op('Reshape', [y, g.const([0, 0, ...heads, hd])]);
    // Qwen3: each head's query and key normalised over the head dimension, before the rotary.
    if (a.qkNorm && role !== 'v') y = rmsNorm(g, y, w.vector(n(`${role}Norm`)), a.eps);
    return g.op('Transpose', [y], { perm: [0, 2, 3, 1, 4] }); // [b, kv, group, s, hd]
  };
  let q = g.op('Mul', [rotate(g, proj('q', [a.kvHeads, rep]), rope, hd / 2), g.const(1 / Math.sqrt(hd), 'float32')]);
  q = g.op('Reshape', [q, g.const([0, a.kvHeads, -1, hd])]);
  let k = g.op('Squeeze', [rotate(g, proj('k', [a.kvHeads, 1]), rope, hd / 2), g.const([2])]); // [b, kv, s, hd]
  let v = g.op('Squeeze', [proj('v', [a.kvHeads, 1]), g.const([2])]);
  if (cache) {
    g.output(k, layerName(CACHE_NAMES.presentKey, layer), 'float32', ['batch', a.kvHeads, 'seq', hd]);
    g.output(v, layerName(CACHE_NAMES.presentValue, layer), 'float32', ['batch', a.kvHeads, 'seq', hd]);
    const pastKey = g.input(layerName(CACHE_NAMES.pastKey, layer), 'float32', ['batch', a.kvHeads, 'past', hd]);
    const pastValue = g.input(layerName(CACHE_NAMES.pastValue, layer), 'float32', ['batch', a.kvHeads, 'past', hd]);
    // A copy of the past a step, and still cheaper than scoring the past in place and merging two
    // softmaxes: that makes more passes over the scores, which outgrow the keys.
    k = g.op('Concat', [pastKey, k], { axis: 2 });
    v = g.op('Concat', [pastValue, v], { axis: 2 });
  }
  const scores = g.op('Add', [g.op('MatMul', [q, g.op('Transpose', [k], { perm: [0, 1, 3, 2] })]), bias]);
  let y = g.op('MatMul', [g.op('Softmax', [scores], { axis: -1 }), v]);
  // [b, kv, group * s, hd] -> [b, s, kv, group, hd] -> [b, s, heads * hd]
  y = g.op('Transpose', [g.op('Reshape', [y, g.const([0, 0, rep, -1, hd])])], { perm: [0, 3, 1, 2, 4] });
  return w.matmul(g.op('Reshape', [y, g.const([0, 0, a.heads * hd])]), n('o'));
}

function mlp(g: Graph, w: WeightWriter, x: string, n: (role: LayerRole) => string): string {
  const gate = w.matmul(x, n('gate'));
  const act = g.op('Mul', [gate, g.op('Sigmoid', [gate])]); // SiLU
  return w.matmul(g.op('Mul', [act, w.matmul(x, n('up'))]), n('down'));
}
