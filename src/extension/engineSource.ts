import { InfillEngine, InfillError } from '../core';
import { EngineKind, KindContext, kindById, KindField, KindValues, openKind } from '../core/engineKinds';
import { parseHttpUrl, showUrl } from '../core/remote';
import { EngineSource } from '../core/openEngine';
import { ModelStore } from '../models/store';
import { ModelSettings } from './settings';

/**
 * Opens the engine that `diffusionInfill.model.*` names: the kind's own module builds it from its
 * settings (src/core/engineKinds). Everything above this function sees only an InfillEngine, so a
 * remote engine can take the local one's place without other changes.
 */
export async function openConfiguredEngine(
  model: ModelSettings,
  log: (message: string) => void,
  apiKey: ApiKeyLookup = async () => undefined,
): Promise<InfillEngine> {
  const kind = kindOf(model);
  const url = secretUrl(kind, model.values);
  const context = editorContext(model, log, kind.secret && url ? await apiKey(url) : undefined);
  log(describe(kind.source(model.values, context), model));
  return openKind(kind, model.values, context);
}

/**
 * The error opening these settings would meet first, without opening anything (no file read
 * beyond a model folder's model.json, no request): the status item shows it as soon as a setting
 * changes, not at the next completion.
 */
export function settingsProblem(model: ModelSettings): string | undefined {
  try {
    kindOf(model).source(
      model.values,
      editorContext(model, () => undefined, undefined),
    );
    return undefined;
  } catch (e) {
    if (e instanceof InfillError) return e.message;
    throw e;
  }
}

/** How the editor names a kind's field in a message: its setting. */
export function settingName(field: KindField): string {
  return `diffusionInfill.${field.setting}`;
}

function editorContext(model: ModelSettings, log: (message: string) => void, secret: string | undefined): KindContext {
  // A local model runs in a child process: a native fault of onnxruntime there ends the model, not
  // the extension host and every other extension in it (npm run bench:isolation: the forward costs about the same).
  const store = new ModelStore(model.modelsFolder);
  return {
    name: settingName,
    secret,
    runtime: { executionProvider: model.device, threads: model.threads || undefined, isolation: 'process', log },
    pulledModel: (repo) => store.find(repo)?.dir,
  };
}

function kindOf(model: ModelSettings): EngineKind {
  const kind = kindById(model.source);
  if (!kind)
    throw new InfillError(`diffusionInfill.model.source is "${model.source}", which is no model source: choose one with Diffusion Infill: Choose Model`);
  return kind;
}

function describe(source: EngineSource, model: ModelSettings): string {
  switch (source.kind) {
    case 'local':
      return `loading model folder ${source.dir} (device ${model.device}, threads ${model.threads || 'auto'})`;
    case 'server':
      return `connecting to ${showUrl(source.url)}`;
    default:
      return `using ${source.model} at ${showUrl(source.url)}${source.kind === 'openai-chat' ? ' (chat)' : 'diffusing' in source && source.diffusing ? ' (diffusing)' : ''}`;
  }
}

/** The API key or bearer token stored for a server (VS Code's SecretStorage), if any. */
export type ApiKeyLookup = (url: string) => Promise<string | undefined>;

/** The URL a kind's secret is sent to (its first URL field), where it has one and it is set. */
export function secretUrl(kind: EngineKind, values: KindValues): string | undefined {
  const field = kind.fields.find((f) => f.type === 'url');
  const value = field && values[field.name];
  return typeof value === 'string' && value.trim() !== '' ? value.trim() : undefined;
}

/**
 * The SecretStorage slot of a server's key: one per origin, so a key is only ever sent to the
 * server it was set for, whatever path or model the settings name later.
 */
export function apiKeySlot(url: string): string {
  if (!url.trim()) throw new InfillError('the server has no URL yet: choose the model with Diffusion Infill: Choose Model');
  return `diffusionInfill.apiKey:${parseHttpUrl(url, 'http://host:port', []).origin}`;
}
