import { ALGS, Alg, EXECUTION_PROVIDERS, ExecutionProvider, InfillOptions } from '../core';

/**
 * Where the model comes from: the folder shipped in the .vsix, a folder of the user's, a
 * `diffusion-infill serve`, or an OpenAI-compatible fill-in-the-middle endpoint.
 */
export type ModelSource = 'bundled' | 'folder' | 'remote' | 'openai-fim';
export const MODEL_SOURCES: ModelSource[] = ['bundled', 'folder', 'remote', 'openai-fim'];

/** How inline drafts are shown while the model denoises (see docs/extension.md, "Flicker"). */
export type InlineDraftStyle = 'decoration' | 'ghostText' | 'off';
export const INLINE_DRAFT_STYLES: InlineDraftStyle[] = ['decoration', 'ghostText', 'off'];

export interface ModelSettings {
  source: ModelSource;
  folder: string;
  remoteUrl: string;
  /** The model an OpenAI-compatible endpoint is asked for. */
  remoteModel: string;
  /** Mercury's `diffusing: true`: the endpoint streams its intermediate states, which become drafts. */
  remoteDiffusing: boolean;
  device: ExecutionProvider;
  threads: number;
}

export interface ExtensionSettings {
  model: ModelSettings;
  /** Sampler and context budget, passed to the engine as they are (undefined: the model's default). */
  sampler: InfillOptions;
  inline: {
    enabled: boolean;
    debounceMs: number;
    holeTokens: number;
    drafts: InlineDraftStyle;
    /** Final fills the model was less sure of than this are not offered (FilledHole.confidence). */
    minConfidence: number;
  };
  fill: {
    /** Length of a cursor hole (an empty selection or a marker without a hint). */
    holeTokens: number;
  };
  /** Language id -> on/off; "*" is the default for languages not listed. */
  languages: Record<string, boolean>;
}

/** Reads one setting below `diffusionInfill.`; VS Code's WorkspaceConfiguration.get fits. */
export type SettingReader = (key: string) => unknown;

/**
 * Turns raw setting values into typed settings. A value of the wrong type falls back to the
 * default instead of failing, because a typo in settings.json must not disable the extension;
 * range errors in the sampler are left to the engine, which explains them.
 */
export function readSettings(get: SettingReader): ExtensionSettings {
  const num = (key: string): number | undefined => {
    const v = get(key);
    return typeof v === 'number' && Number.isFinite(v) ? v : undefined;
  };
  const numOr = (key: string, fallback: number, min: number, max: number): number => {
    const v = num(key);
    return v === undefined ? fallback : Math.min(max, Math.max(min, v));
  };
  const oneOf = <T extends string>(key: string, allowed: readonly T[], fallback: T): T => {
    const v = get(key);
    return typeof v === 'string' && (allowed as readonly string[]).includes(v) ? (v as T) : fallback;
  };
  const str = (key: string): string => {
    const v = get(key);
    return typeof v === 'string' ? v.trim() : '';
  };
  const alg = get('sampler.algorithm');
  const languages = get('languages');
  return {
    model: {
      source: oneOf('model.source', MODEL_SOURCES, 'bundled'),
      folder: str('model.folder'),
      remoteUrl: str('model.remoteUrl'),
      remoteModel: str('model.remoteModel'),
      remoteDiffusing: get('model.remoteDiffusing') === true,
      device: oneOf('model.device', EXECUTION_PROVIDERS, 'cpu'),
      threads: Math.round(numOr('model.threads', 0, 0, 256)),
    },
    sampler: {
      steps: num('sampler.steps'),
      alg: typeof alg === 'string' && (ALGS as readonly string[]).includes(alg) ? (alg as Alg) : undefined,
      temperature: num('sampler.temperature'),
      threshold: num('sampler.threshold'),
      blockLength: num('sampler.blockLength'),
      contextTokens: num('context.tokens'),
      timeLimitSeconds: num('sampler.timeLimitSeconds'),
    },
    inline: {
      enabled: get('inline.enabled') !== false,
      debounceMs: numOr('inline.debounceMs', 350, 0, 5000),
      holeTokens: Math.round(numOr('inline.holeTokens', 24, 1, 1024)),
      drafts: oneOf('inline.drafts', INLINE_DRAFT_STYLES, 'decoration'),
      minConfidence: numOr('inline.minConfidence', 0.3, 0, 1),
    },
    fill: {
      holeTokens: Math.round(numOr('fill.holeTokens', 48, 1, 4096)),
    },
    languages: isBooleanMap(languages) ? languages : { '*': true },
  };
}

/** Whether completions are on for a language: its own entry, else "*", else on. */
export function languageEnabled(languages: Record<string, boolean>, languageId: string): boolean {
  return languages[languageId] ?? languages['*'] ?? true;
}

/** The part of the settings that decides which engine is loaded: a change here reloads the model. */
export function engineKey(model: ModelSettings): string {
  return JSON.stringify(model);
}

function isBooleanMap(v: unknown): v is Record<string, boolean> {
  return typeof v === 'object' && v !== null && !Array.isArray(v) && Object.values(v).every((x) => typeof x === 'boolean');
}
