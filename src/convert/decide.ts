import { Graph } from './onnxGraph';

/** The graph's decide outputs (docs/model-folder.md, onnx.decide) and their types. */
export const DECIDE_NAMES = { token: 'top_token', prob: 'top_prob', secondProb: 'second_prob', entropy: 'entropy' } as const;
export type DecideKey = keyof typeof DECIDE_NAMES;
export const DECIDE_TYPES = { token: 'int64', prob: 'float32', secondProb: 'float32', entropy: 'float32' } as const;

const BLOCK = 64;

/**
 * onnx.decide: at temperature 0 every algorithm needs four numbers per row of logits: the argmax
 * (the first on ties), its softmax probability, the runner-up's, and the entropy in nats.  Each
 * full pass over a [rows x vocab] tensor costs about as much as the next, so the decision makes as
 * few as it can:
 * - the top two by blocks: the maximum of each block of BLOCK logits (one pass), the top two
 *   blocks, then the top two inside the best block; the runner-up is the better of its second and
 *   the second block's maximum.  TopK over the whole row cost more than the rest together.
 * - one Softmax, whose value at the top token is the probability, and one dot product per row for
 *   the entropy, log Z - E[x] with log Z = max - log p(top).  The dot product is a MatMul of
 *   [rows, 1, vocab] by the transposed probabilities, which onnxruntime folds into one pass (Mul then
 *   ReduceSum wrote and read a third tensor; a MatMul by [rows, vocab, 1] or an Einsum took a slow path).
 * Returns each output, shaped as the logits without their last axis.
 */
export function decide(g: Graph, logits: string, vocab: number): Record<DecideKey, string> {
  const lead = g.op('Slice', [g.op('Shape', [logits]), g.const([0]), g.const([-1])]);
  const rows = g.op('Reshape', [logits, g.const([-1, vocab])]);
  const padded = vocab % BLOCK === 0 ? rows : g.op('Pad', [rows, g.const([0, 0, 0, -vocab & (BLOCK - 1)]), g.const(-Infinity, 'float32')]); // -inf never wins a block
  const blocks = g.op('Reshape', [padded, g.const([0, -1, BLOCK])]); // [rows, vocab / BLOCK, BLOCK]
  const [blockMax, blockIdx] = g.opN('TopK', [g.op('ReduceMax', [blocks], { axes: [-1], keepdims: 0 }), g.const([2])], 2, { axis: -1, largest: 1, sorted: 1 });
  const first = (x: string, at: number) => g.op('Slice', [x, g.const([at]), g.const([at + 1]), g.const([1])]);
  const bestBlock = first(blockIdx, 0); // [rows, 1]
  const where = g.op('Expand', [g.op('Unsqueeze', [bestBlock, g.const([-1])]), g.const([1, 1, BLOCK])]);
  const inside = g.op('Reshape', [g.op('GatherElements', [blocks, where], { axis: 1 }), g.const([0, BLOCK])]);
  const [top, idx] = g.opN('TopK', [inside, g.const([2])], 2, { axis: -1, largest: 1, sorted: 1 });
  const best = first(top, 0);
  const second = g.op('Max', [first(top, 1), first(blockMax, 1)]);
  const token = g.op('Add', [g.op('Mul', [bestBlock, g.const([BLOCK])]), first(idx, 0)]);
  const p = g.op('Softmax', [rows], { axis: -1 });
  const prob = g.op('GatherElements', [p, token], { axis: 1 });
  const asRow = g.const([-1, 1, vocab]);
  const mean = g.op('Reshape', [
    g.op('MatMul', [g.op('Reshape', [rows, asRow]), g.op('Transpose', [g.op('Reshape', [p, asRow])], { perm: [0, 2, 1] })]),
    g.const([-1, 1]),
  ]);
  const logZ = g.op('Sub', [best, g.op('Log', [prob])]);
  const out: Record<DecideKey, string> = {
    token,
    prob,
    secondProb: g.op('Mul', [g.op('Exp', [g.op('Sub', [second, best])]), prob]),
    entropy: g.op('Max', [g.op('Sub', [logZ, mean]), g.const([0], 'float32')]),
  };
  return Object.fromEntries(Object.entries(out).map(([k, v]) => [k, g.op('Reshape', [v, lead])])) as Record<DecideKey, string>;
}
