import * as fs from 'node:fs';
import * as path from 'node:path';
import { bundledModelDir, InfillEngine, InfillError, LocalEngine, loadModelFolder, CONFIG_FILE } from '../core';
import { openEngine as openCoreEngine, showUrl } from '../core/remote';
import { ModelSettings } from './settings';

/**
 * Opens the engine that `diffusionInfill.model.*` names. Everything above this function sees only
 * an InfillEngine, so a remote engine can take the local one's place without other changes.
 */
export async function openEngine(model: ModelSettings, log: (message: string) => void): Promise<InfillEngine> {
  switch (model.source) {
    case 'bundled':
      return openFolder(bundledFolder(), model, log);
    case 'folder':
      if (!model.folder) {
        throw new InfillError('diffusionInfill.model.source is "folder" but diffusionInfill.model.folder is empty: set it to a model folder (docs/model-folder.md)');
      }
      return openFolder(model.folder, model, log);
    case 'remote':
      if (!model.remoteUrl) {
        throw new InfillError('diffusionInfill.model.source is "remote" but diffusionInfill.model.remoteUrl is empty: set it to the URL of a `diffusion-infill serve`');
      }
      log(`connecting to ${showUrl(model.remoteUrl)}`);
      return openCoreEngine({ kind: 'server', url: model.remoteUrl });
  }
}

/** The bundled model's folder, or a message that says what to do when this build has none. */
export function bundledFolder(from = __dirname): string {
  const dir = bundledModelDir(from);
  if (!fs.existsSync(path.join(dir, CONFIG_FILE))) {
    throw new InfillError(
      `this installation has no bundled model (looked in ${dir}): set diffusionInfill.model.source to "folder" and diffusionInfill.model.folder to a model folder (docs/model-folder.md)`,
    );
  }
  return dir;
}

async function openFolder(dir: string, model: ModelSettings, log: (message: string) => void): Promise<InfillEngine> {
  log(`loading model folder ${dir} (device ${model.device}, threads ${model.threads || 'auto'})`);
  const loaded = await loadModelFolder(dir, { executionProvider: model.device, threads: model.threads || undefined, log });
  return new LocalEngine(loaded);
}
