import * as fs from 'node:fs';
import * as path from 'node:path';
import { bundledModelDir, InfillEngine, InfillError, CONFIG_FILE } from '../core';
import { EngineSource, openEngine as openCoreEngine, parseHttpUrl, showUrl } from '../core/remote';
import { ModelSettings } from './settings';

/**
 * Opens the engine that `diffusionInfill.model.*` names, through the core's openEngine. Everything
 * above this function sees only an InfillEngine, so a remote engine can take the local one's
 * place without other changes.
 */
export async function openEngine(model: ModelSettings, log: (message: string) => void, apiKey: ApiKeyLookup = async () => undefined): Promise<InfillEngine> {
  return openCoreEngine(await engineSource(model, log, apiKey));
}

/** The core's EngineSource for the settings, or a message that says which setting to fill in. */
async function engineSource(model: ModelSettings, log: (message: string) => void, apiKey: ApiKeyLookup): Promise<EngineSource> {
  switch (model.source) {
    case 'bundled':
      return folderSource(bundledFolder(), model, log);
    case 'folder':
      if (!model.folder) {
        throw new InfillError(
          'diffusionInfill.model.source is "folder" but diffusionInfill.model.folder is empty: set it to a model folder (docs/model-folder.md)',
        );
      }
      return folderSource(model.folder, model, log);
    case 'server':
      if (!model.remoteUrl) {
        throw new InfillError(
          'diffusionInfill.model.source is "server" but diffusionInfill.model.remoteUrl is empty: set it to the URL of a `diffusion-infill serve`',
        );
      }
      log(`connecting to ${showUrl(model.remoteUrl)}`);
      return { kind: 'server', url: model.remoteUrl, token: await apiKey(model.remoteUrl) };
    case 'openai-fim':
      if (!model.remoteUrl || !model.remoteModel) {
        throw new InfillError(
          'diffusionInfill.model.source is "openai-fim": set diffusionInfill.model.remoteUrl to the completions endpoint and diffusionInfill.model.remoteModel to the model name',
        );
      }
      log(`using ${model.remoteModel} at ${showUrl(model.remoteUrl)}${model.remoteDiffusing ? ' (diffusing)' : ''}`);
      return {
        kind: 'openai-fim',
        url: model.remoteUrl,
        model: model.remoteModel,
        apiKey: await apiKey(model.remoteUrl),
        diffusing: model.remoteDiffusing,
      };
    case 'openai-chat':
      if (!model.remoteUrl || !model.remoteModel) {
        throw new InfillError(
          'diffusionInfill.model.source is "openai-chat": set diffusionInfill.model.remoteUrl to the server (e.g. http://host:30000/v1) and diffusionInfill.model.remoteModel to the model it serves',
        );
      }
      log(`using ${model.remoteModel} at ${showUrl(model.remoteUrl)} (chat)`);
      return { kind: 'openai-chat', url: model.remoteUrl, model: model.remoteModel, apiKey: await apiKey(model.remoteUrl) };
  }
}

/** The API key or bearer token stored for a server (VS Code's SecretStorage), if any. */
export type ApiKeyLookup = (url: string) => Promise<string | undefined>;

/**
 * The SecretStorage slot of a server's key: one per origin, so a key is only ever sent to the
 * server it was set for, whatever path or model the settings name later.
 */
export function apiKeySlot(url: string): string {
  if (!url.trim()) throw new InfillError('diffusionInfill.model.remoteUrl is not set: give the server, as http://host:port');
  return `diffusionInfill.apiKey:${parseHttpUrl(url, 'http://host:port', []).origin}`;
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

function folderSource(dir: string, model: ModelSettings, log: (message: string) => void): EngineSource {
  log(`loading model folder ${dir} (device ${model.device}, threads ${model.threads || 'auto'})`);
  // In a child process: a native fault of onnxruntime there ends the model, not the extension host
  // and every other extension in it (npm run bench:isolation: the forward costs about the same).
  return { kind: 'local', dir, runtime: { executionProvider: model.device, threads: model.threads || undefined, isolation: 'process', log } };
}
