/**
 * The models and single-op graphs the bench times, built once into models/.bench with the same
 * builder users run (`models convert`): random checkpoints of the bench's shapes, the bundled
 * model's own weights at float32 and int8, one MatMul by a constant weight at the long model's
 * shapes, and the decision alone at two vocabularies.  A folder is built again when the builder's
 * version or the bundled model changes.
 */
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { BUILDER_VERSION, convertCheckpoint, ConvertOptions } from '../convert/convert';
import { decide, DECIDE_NAMES, DECIDE_TYPES, DecideKey } from '../convert/decide';
import { bytesOf, Graph } from '../convert/onnxGraph';
import { bundledModelDir, readModelConfig } from '../core';
import { SHAPES, writeCheckpoint } from './syntheticCheckpoint';

export interface BenchModels {
  /** Random weights, 2,048-token context, float32. */
  long: string;
  /** The same at Qwen2.5's 151,936-token vocabulary, float16. */
  qwenVocab: string;
  /** The bundled model's weights at float32 and int8. */
  fp32: string;
  int8: string;
}

const STAMP = 'built.json';
/** What a folder's stamp says: this builder, and this file's recipe (2: the bundled model's own settings). */
const BUILT = JSON.stringify({ builder: BUILDER_VERSION, recipe: 2 });

/** Whether `dir` was built by this builder and recipe from a source no newer than `source`. */
function current(dir: string, source: string): boolean {
  const stamp = path.join(dir, STAMP);
  if (!fs.existsSync(stamp) || fs.readFileSync(stamp, 'utf8') !== BUILT) return false;
  return fs.statSync(stamp).mtimeMs >= fs.statSync(source).mtimeMs;
}

function build(ck: string, dir: string, options: Omit<ConvertOptions, 'blockSize' | 'cache' | 'special' | 'overwrite'>): void {
  convertCheckpoint(ck, dir, { blockSize: 32, cache: true, special: {}, overwrite: true, ...options });
  fs.writeFileSync(path.join(dir, STAMP), BUILT);
}

export function prepareBenchModels(bench: string, root: string, python: string): BenchModels {
  const out = {
    long: path.join(bench, 'long'),
    qwenVocab: path.join(bench, 'qwen-vocab'),
    fp32: path.join(bench, 'bundled-fp32'),
    int8: path.join(bench, 'bundled-int8'),
  };
  fs.mkdirSync(bench, { recursive: true });
  const self = __filename;
  for (const [dir, shape, precision] of [
    [out.long, SHAPES.long, 'float32'],
    [out.qwenVocab, SHAPES['qwen-vocab'], 'float16'],
  ] as const) {
    if (current(dir, self)) continue;
    console.log(`writing ${dir} (random weights; once per builder change)`);
    const ck = `${dir}-checkpoint`;
    fs.rmSync(ck, { recursive: true, force: true });
    writeCheckpoint(ck, shape, false);
    build(ck, dir, { precision, maxContext: 2048 });
    fs.rmSync(ck, { recursive: true, force: true });
  }
  const bundled = path.join(bundledModelDir(), 'model.onnx.data');
  if (!current(out.fp32, bundled) || !current(out.int8, bundled)) {
    console.log('writing models/.bench/bundled-* (the bundled model rebuilt at float32 and int8)');
    const ck = path.join(bench, 'bundled-checkpoint');
    execFileSync(python, ['-m', 'tools.model.folders.model_folder', bundledModelDir(), '--checkpoint', ck], {
      cwd: root,
      stdio: ['ignore', 'ignore', 'inherit'],
    });
    // The bundled model at another precision, with its own settings: its sampler, and no token
    // healing (it learned holes tokenized apart from their context).
    const own = readModelConfig(bundledModelDir());
    const settings = { maxContext: own.maxContext, sampler: { ...own.sampler }, tokenHealing: own.tokenHealing, name: `${own.name}` };
    build(ck, out.fp32, { precision: 'float32', ...settings });
    build(ck, out.int8, { precision: 'int8', ...settings });
  }
  const { hidden_size: hidden, intermediate_size: inter, num_attention_heads: heads, num_key_value_heads: kvHeads, vocab_size: vocab } = SHAPES.long;
  for (const [k, n] of [
    [hidden, hidden],
    [hidden, (hidden / heads) * kvHeads],
    [hidden, inter],
    [inter, hidden],
    [hidden, vocab],
  ]) {
    const file = path.join(bench, `matmul_${k}x${n}.onnx`);
    if (!fs.existsSync(file)) matmulGraph(file, k, n);
  }
  for (const v of new Set([SHAPES['qwen-vocab'].vocab_size, readModelConfig(bundledModelDir()).vocabSize])) {
    const file = path.join(bench, `decide_${v}.onnx`);
    if (!fs.existsSync(file)) decideGraph(file, v);
  }
  return out;
}

/** a [m, k] -> a @ w for a constant w [k, n]: what onnxruntime's MatMul reaches at a model's shapes. */
function matmulGraph(file: string, k: number, n: number): void {
  const g = new Graph(`${file}.data`, `${path.basename(file)}.data`);
  const w = g.weight('w', [k, n], 'float32', [bytesOf(Float32Array.from({ length: k * n }, (_, i) => ((i * 7919) % 13) / 13 - 0.5))]);
  g.output(g.op('MatMul', [g.input('a', 'float32', ['m', k]), w]), 'y', 'float32', ['m', n]);
  g.save(file, {}, 'bench');
}

/** Only the graph's decision over float32 logits [rows, vocab]. */
function decideGraph(file: string, vocab: number): void {
  const g = new Graph(`${file}.data`, `${path.basename(file)}.data`);
  const out = decide(g, g.input('logits', 'float32', ['rows', vocab]), vocab);
  for (const key of Object.keys(DECIDE_NAMES) as DecideKey[]) g.output(out[key], DECIDE_NAMES[key], DECIDE_TYPES[key], ['rows']);
  g.save(file, {}, 'bench');
}
