import * as path from 'node:path';
import { InfillError } from './errors';
import { LogitsModel } from './logitsModel';
import { ModelConfig, readModelConfig, TOKENIZER_FILE } from './modelConfig';
import { RuntimeOptions } from './runtimeOptions';
import { loadTokenizer, TextTokenizer } from './tokenizer';
import { WorkerLogitsModel } from './workerLogitsModel';

/** A model folder, checked and ready: what the local engine runs. */
export interface LoadedModel {
  dir: string;
  config: ModelConfig;
  tokenizer: TextTokenizer;
  network: LogitsModel;
  executionProvider: string;
}

const loaded = new Map<string, Promise<LoadedModel>>();

/** Loads a model folder once per folder and runtime setting; later calls share the session. */
export function loadModelFolder(dir: string, options: RuntimeOptions = {}): Promise<LoadedModel> {
  const key = JSON.stringify([
    path.resolve(dir),
    options.executionProvider ?? 'cpu',
    options.threads ?? 0,
    options.samplerThreads ?? null,
    options.isolation ?? 'thread',
    options.stuckAfterMs ?? null,
  ]);
  let model = loaded.get(key);
  if (!model) {
    // A folder that failed to load, or whose thread has stopped, is opened afresh next time.
    const forget = () => {
      if (loaded.get(key) === model) loaded.delete(key);
    };
    model = openModelFolder(path.resolve(dir), options, forget);
    model.catch(forget);
    loaded.set(key, model);
  }
  return model;
}

/** Releases every loaded session (for a settings change or shutdown). */
export async function unloadModels(): Promise<void> {
  const all = [...loaded.values()];
  loaded.clear();
  await Promise.all(all.map(async (m) => (await m.catch(() => undefined))?.network.dispose()));
}

async function openModelFolder(dir: string, options: RuntimeOptions, onStop: () => void): Promise<LoadedModel> {
  const config = readModelConfig(dir);
  const tokenizer = loadTokenizer(path.join(dir, TOKENIZER_FILE));
  if (tokenizer.size > config.vocabSize) {
    throw new InfillError(`${dir}: the tokenizer has ${tokenizer.size} tokens but the logits have vocabSize ${config.vocabSize}: tokenizer and model disagree`);
  }
  const named: [string, number][] = [
    ['mask', config.maskTokenId],
    ['end', config.eosTokenId],
    ['pad', config.padTokenId],
  ];
  if (config.expandTokenId !== undefined) named.push(['expand', config.expandTokenId], ['delete', config.deleteTokenId!]);
  for (const [name, id] of named) {
    if (tokenizer.tokenText(id) === null) throw new InfillError(`${dir}: the tokenizer does not know the ${name} token id ${id}`);
  }
  // A mask that is an ordinary token (a maskTokenId off by a few) would read that text of every file as a hole.
  const maskText = await tokenizer.decode([config.maskTokenId], true);
  if (maskText !== '') {
    throw new InfillError(
      `${dir}: maskTokenId ${config.maskTokenId} is the tokenizer's ordinary token ${JSON.stringify(maskText)}, not a special one: give the id of the model's mask token`,
    );
  }
  // Each token's text (the drafts and the hole rules read it) is computed on the tokenizer's
  // threads while the session loads, so that the first request does not wait for it.
  const [network] = await Promise.all([WorkerLogitsModel.load(dir, config, options), tokenizer.tokenTexts()]);
  network.onStop(onStop);
  // One tiny forward now, with the largest id model.json allows, so that a graph made for another
  // vocabulary fails at load with both numbers named, not mid-fill with the runtime's Gather error.
  try {
    await network.logits(Int32Array.of(config.eosTokenId, config.maskTokenId, config.vocabSize - 1), [0]);
  } catch (e) {
    await network.dispose();
    if (e instanceof InfillError) throw e;
    throw new InfillError(
      `${path.join(dir, config.onnx.file)} failed a first forward with token ids up to ${config.vocabSize - 1} (model.json's vocabSize ${config.vocabSize} - 1): ` +
        `is it the graph this model.json describes? (onnxruntime: ${(e as Error).message.split('\n')[0]})`,
    );
  }
  return { dir, config, tokenizer, network, executionProvider: network.executionProvider };
}
