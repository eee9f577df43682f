import * as fs from 'node:fs';
import * as path from 'node:path';
import { ConvertError } from './convertError';
import { DECIDE_NAMES } from './decide';
import { Arch, expectedShapes } from './layout';
import { HfConfig, layoutOf } from './layouts';
import { CACHE_NAMES, writeNetwork } from './network';
import { Graph } from './onnxGraph';
import { checkBlock } from './quantize';
import { LazyTensor, lazyTensors } from './safetensors';
import { SpecialOverrides, specialIds } from './specialTokens';
import { checkpointTokenizer, readJson, tokenizerIds } from './tokenizerFiles';
import { Precision, PRECISIONS, WeightWriter } from './weights';

/** Bumped when a built folder would differ for the same checkpoint and options (the model store's manifests record it). */
export const BUILDER_VERSION = 1;

export interface ConvertOptions {
  precision: Precision;
  /** int4 / int8: weights per scale. */
  blockSize: number;
  /** int4 / int8: MatMulNBits' compute type (0 float32, 4 int8 activations); default ACCURACY_LEVEL. */
  accuracyLevel?: number;
  maxContext?: number;
  name?: string;
  /** The graph with the context cache and the decide outputs (docs/model-folder.md); false for the plain graph. */
  cache: boolean;
  special: SpecialOverrides;
  /** model.json sampler fields over the layout's defaults (a catalogue's recommended settings). */
  sampler?: Record<string, unknown>;
  /** More model.json fields (a catalogue's facts the checkpoint lacks, e.g. DreamOn's expandTokenId). */
  modelJson?: Record<string, unknown>;
  /** model.json tokenHealing; default true (real checkpoints learned from text tokenized whole). */
  tokenHealing?: boolean;
  /** More files for the folder, written before it takes its place (a model store's manifest). */
  extraFiles?: Record<string, string>;
  /** Replace OUT_DIR if it exists (the new folder takes its place only once complete). */
  overwrite?: boolean;
  /** Called as each tensor is read: bytes of the checkpoint done so far, and in all. */
  onProgress?: (done: number, total: number, tensor: string) => void;
}

export const DEFAULT_CONVERT: ConvertOptions = { precision: 'int4', blockSize: 32, cache: true, special: {} };

/**
 * MatMulNBits' compute type when none is given: int8 multiplies in int8 (level 4, the activations
 * quantized per block), since at level 0 it is onnxruntime's slow CPU path; int4 at level 0 costs
 * what float32 does (the bench).
 */
const ACCURACY_LEVEL: Partial<Record<Precision, number>> = { int8: 4, int4: 0 };

/**
 * A Hugging Face checkpoint folder (config.json, the safetensors shards, a tokenizer) -> a model folder
 * (docs/model-folder.md): the graph written node by node, the weights streamed from the shards a chunk
 * at a time and quantized.  The folder is built beside OUT_DIR and renamed into place once complete,
 * so a failure (a bad shard, a full disk) leaves no half-built folder where a model is looked for.
 * Returns model.json.
 */
export function convertCheckpoint(hfDir: string, outDir: string, options: ConvertOptions): Record<string, unknown> {
  const o = { ...DEFAULT_CONVERT, ...options };
  if (!PRECISIONS.includes(o.precision)) throw new ConvertError(`precision ${JSON.stringify(o.precision)}: expected one of ${PRECISIONS.join(', ')}`);
  const bits = o.precision === 'int8' ? 8 : o.precision === 'int4' ? 4 : 0;
  if (bits) checkBlock(bits, o.blockSize);
  const accuracyLevel = o.accuracyLevel ?? ACCURACY_LEVEL[o.precision] ?? 0;
  if (![0, 1, 2, 3, 4].includes(accuracyLevel)) throw new ConvertError(`accuracy level ${accuracyLevel}: expected 0 to 4`);
  if (!fs.existsSync(hfDir) || !fs.statSync(hfDir).isDirectory()) throw new ConvertError(`${hfDir} is not a folder`);
  const configFile = path.join(hfDir, 'config.json');
  if (!fs.existsSync(configFile))
    throw new ConvertError(`${hfDir} has no config.json: expected a Hugging Face checkpoint folder (config.json, *.safetensors, a tokenizer)`);
  const cfg = readJson<HfConfig>(configFile);
  const layout = layoutOf(cfg);
  const arch = layout.arch(cfg);
  const tensors = lazyTensors(hfDir);
  checkNames(arch, tensors);
  const { tokenizer, built } = checkpointTokenizer(hfDir);
  const top = Math.max(...tokenizerIds(tokenizer).values());
  if (top >= arch.vocab) throw new ConvertError(`tokenizer id ${top} does not fit the ${arch.vocab} logits of config.json`);
  const special = specialIds(hfDir, cfg, layout, tokenizer, o.special);
  for (const [key, id] of Object.entries(special)) {
    if (id !== null && (id < 0 || id >= arch.vocab)) throw new ConvertError(`${key} token id ${id} does not fit the ${arch.vocab} logits`);
  }
  if (special.mask === special.eos) throw new ConvertError(`the mask token id ${special.mask} is also the end token`);

  const target = path.resolve(outDir);
  if (fs.existsSync(target) && (!fs.statSync(target).isDirectory() || fs.readdirSync(target).length) && !o.overwrite) {
    throw new ConvertError(`${outDir} already exists and is not empty: choose another folder, or --overwrite`);
  }
  const partial = `${target}.partial-${process.pid}`;
  fs.rmSync(partial, { recursive: true, force: true });
  fs.mkdirSync(partial, { recursive: true });
  try {
    const total = [...expectedShapes(arch).keys()].reduce((sum, name) => sum + bytes(tensors.get(name)!), 0);
    let done = 0;
    const g = new Graph(path.join(partial, 'model.onnx.data'), 'model.onnx.data');
    try {
      const w = new WeightWriter(g, tensors, o.precision, o.blockSize, accuracyLevel, (name) => {
        done += bytes(tensors.get(name)!);
        o.onProgress?.(done, total, name);
      });
      writeNetwork(g, w, arch, o.cache);
      g.save(
        path.join(partial, 'model.onnx'),
        { 'diffusion_infill.layout': arch.layout, 'diffusion_infill.precision': o.precision },
        'diffusion-infill models convert',
      );
    } finally {
      g.closeData();
    }
    // The checkpoint's own tokenizer.json goes as it is, byte for byte.
    writeFile(path.join(partial, 'tokenizer.json'), built ? JSON.stringify(tokenizer, null, 1) : fs.readFileSync(path.join(hfDir, 'tokenizer.json')));
    const name = o.name ?? path.basename(path.resolve(hfDir));
    const doc = modelJson(arch, layout.alg, special, cfg, name, o, accuracyLevel);
    writeFile(path.join(partial, 'model.json'), JSON.stringify(doc, null, 2) + '\n');
    for (const [file, text] of Object.entries(o.extraFiles ?? {})) writeFile(path.join(partial, file), text);
    replaceFolder(partial, target);
    return doc;
  } catch (e) {
    fs.rmSync(partial, { recursive: true, force: true });
    throw e;
  }
}

function modelJson(arch: Arch, alg: string, special: ReturnType<typeof specialIds>, cfg: HfConfig, name: string, o: ConvertOptions, accuracyLevel: number) {
  const onnx = o.cache
    ? {
        file: 'model.onnx',
        output: 'logits',
        inputs: { inputIds: 'input_ids', attentionMask: 'attention_mask', positionIds: 'position_ids', logitPositions: 'logit_positions' },
        cache: { layers: arch.layers, kvHeads: arch.kvHeads, headDim: arch.headDim, ropeTheta: arch.ropeTheta, ...CACHE_NAMES },
        decide: { ...DECIDE_NAMES },
      }
    : {
        file: 'model.onnx',
        output: 'logits',
        inputs: { inputIds: 'input_ids', attentionMask: 'attention_mask', positionIds: null, logitPositions: 'logit_positions' },
      };
  return {
    format: 'diffusion-infill-model/1',
    name,
    layout: arch.layout,
    logitsShifted: arch.logitsShifted,
    vocabSize: arch.vocab,
    maxContext: o.maxContext ?? Math.min(arch.maxPositions, 2048),
    maskTokenId: special.mask,
    eosTokenId: special.eos,
    padTokenId: special.pad,
    bosTokenId: special.bos,
    // Fast-dLLM's rule: every position whose token is 0.9 likely, at least one a step.
    sampler: { steps: null, alg, temperature: 0, topP: 1, topK: 0, algTemp: 0, threshold: 0.9, blockLength: null, ...o.sampler },
    // Real checkpoints learned from text tokenized whole: heal the hole boundaries.
    tokenHealing: o.tokenHealing ?? true,
    onnx,
    precision: o.precision,
    ...(o.precision === 'int4' || o.precision === 'int8' ? { quantization: { blockSize: o.blockSize, accuracyLevel } } : {}),
    source: `${cfg._name_or_path || name}; built by diffusion-infill models convert ${BUILDER_VERSION} from a ${cfg.model_type} checkpoint`,
    ...o.modelJson,
  };
}

const ITEM: Record<string, number> = { F32: 4, F16: 2, BF16: 2 };
const bytes = (t: LazyTensor) => t.rows * t.rowSize * ITEM[t.dtype];

/** Stops with the names of unknown, missing or misshapen tensors. */
export function checkNames(a: Arch, tensors: Map<string, LazyTensor>): void {
  const want = expectedShapes(a);
  const have = new Map([...tensors].filter(([k]) => !k.endsWith('rotary_emb.inv_freq')));
  // Some tied checkpoints still save the (equal) output layer.
  if (a.tied) have.delete(a.names.lmHead);
  const unknown = [...have.keys()].filter((k) => !want.has(k)).sort();
  const missing = [...want.keys()].filter((k) => !have.has(k)).sort();
  const wrong = [...want]
    .filter(([k, shape]) => have.has(k) && have.get(k)!.shape.join() !== shape.join())
    .map(([k, shape]) => `${k} [${have.get(k)!.shape}] in ${path.basename(have.get(k)!.file)} (config.json says [${shape}])`);
  const list = (xs: string[]) => xs.slice(0, 8).join(', ') + (xs.length > 8 ? ` and ${xs.length - 8} more` : '');
  const problems = [
    unknown.length ? `${unknown.length} unknown tensor(s): ${list(unknown)}` : '',
    missing.length ? `${missing.length} missing: ${list(missing)}` : '',
    wrong.length ? `wrong shapes: ${list(wrong)}` : '',
  ].filter(Boolean);
  if (problems.length) throw new ConvertError(`the ${a.layout} layout does not match the checkpoint: ${problems.join('; ')}`);
}

function writeFile(file: string, text: string | Buffer): void {
  try {
    const fd = fs.openSync(file, 'w');
    try {
      fs.writeFileSync(fd, text);
      fs.fsyncSync(fd);
    } finally {
      fs.closeSync(fd);
    }
  } catch (e) {
    throw new ConvertError(`writing ${file}: ${(e as Error).message}`);
  }
}

/** Puts the complete folder at target; an old folder there goes only once the new one is in place. */
function replaceFolder(partial: string, target: string): void {
  const old = fs.existsSync(target) ? `${target}.old-${process.pid}` : null;
  if (old) fs.renameSync(target, old);
  try {
    fs.renameSync(partial, target);
  } catch (e) {
    if (old) fs.renameSync(old, target);
    throw new ConvertError(`moving ${partial} to ${target}: ${(e as Error).message}`);
  }
  if (old) fs.rmSync(old, { recursive: true, force: true });
}
