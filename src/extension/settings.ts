import { ALG_OPTION, ALGS, Alg, BOOLEAN_OPTIONS, EXECUTION_PROVIDERS, ExecutionProvider, InfillOptions, NUMBER_OPTIONS } from '../core';
import { ENGINE_KINDS, KIND_IDS, kindById, kindValues, KindValues } from '../core/engineKinds';
import { defaultHome } from '../models/store';

/** How inline drafts are shown while the model denoises (see docs/extension.md, "Flicker"). */
export type InlineDraftStyle = 'decoration' | 'off';
export const INLINE_DRAFT_STYLES: InlineDraftStyle[] = ['decoration', 'off'];

export interface ModelSettings {
  /** The engine kind (src/core/engineKinds): where the model comes from. */
  source: string;
  /** The values of that kind's own settings (its fields). */
  values: KindValues;
  device: ExecutionProvider;
  threads: number;
  /** Where downloaded models live (diffusionInfill.models.folder, else the store the CLI uses). */
  modelsFolder: string;
}

export interface ExtensionSettings {
  model: ModelSettings;
  /**
   * The option table's settings (sampler, context budget, the inline confidence floor), passed to
   * the engine as they are (undefined: the model's default).
   */
  sampler: InfillOptions;
  inline: {
    enabled: boolean;
    debounceMs: number;
    holeTokens: number;
    drafts: InlineDraftStyle;
  };
  fill: {
    /** Length of a cursor hole (an empty selection or a marker without a hint). */
    holeTokens: number;
  };
  /** Language id -> on/off; "*" is the default for languages not listed. */
  languages: Record<string, boolean>;
  /** Withhold a Rewrite, Repair or Fill Selection result that adds syntax errors or empties a body (ProposalGate). */
  syntaxCheck: boolean;
}

/**
 * The extension's own numeric settings: the default and bounds package.json contributes (a unit
 * test holds the two together); a value out of bounds is clamped, and a whole number rounded.
 * The sampler's settings are the core option table's (NUMBER_OPTIONS' `setting`).
 */
export const NUMBER_SETTINGS = {
  'model.threads': { default: 0, min: 0, max: 256, integer: true },
  'inline.debounceMs': { default: 350, min: 0, max: 5000, integer: true },
  'inline.holeTokens': { default: 24, min: 1, max: 1024, integer: true },
  'fill.holeTokens': { default: 48, min: 1, max: 4096, integer: true },
  'refactor.repairTokens': { default: 8, min: 1, max: 512, integer: true },
} as const;

/** A setting of NUMBER_SETTINGS from its raw value: the default for a wrong type, else clamped (and rounded). */
export function numberSetting(key: keyof typeof NUMBER_SETTINGS, raw: unknown): number {
  const spec = NUMBER_SETTINGS[key];
  if (typeof raw !== 'number' || !Number.isFinite(raw)) return spec.default;
  const clamped = Math.min(spec.max, Math.max(spec.min, raw));
  return spec.integer ? Math.round(clamped) : clamped;
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
  const numOr = (key: keyof typeof NUMBER_SETTINGS): number => numberSetting(key, get(key));
  const oneOf = <T extends string>(key: string, allowed: readonly T[], fallback: T): T => {
    const v = get(key);
    return typeof v === 'string' && (allowed as readonly string[]).includes(v) ? (v as T) : fallback;
  };
  const alg = get(ALG_OPTION.setting.key);
  const languages = get('languages');
  // "remote" was the name of "server" before: it still reads as one.
  const source = get('model.source') === 'remote' ? 'server' : oneOf('model.source', KIND_IDS, ENGINE_KINDS[0].id);
  return {
    model: {
      source,
      values: kindValues(kindById(source)!, get),
      device: oneOf('model.device', EXECUTION_PROVIDERS, 'cpu'),
      threads: numOr('model.threads'),
      modelsFolder: (typeof get('models.folder') === 'string' && (get('models.folder') as string).trim()) || defaultHome(),
    },
    sampler: {
      alg: typeof alg === 'string' && (ALGS as readonly string[]).includes(alg) ? (alg as Alg) : undefined,
      ...Object.fromEntries(NUMBER_OPTIONS.flatMap((o) => (o.setting ? [[o.field, num(o.setting.key)]] : []))),
      ...Object.fromEntries(
        BOOLEAN_OPTIONS.flatMap((o) => (o.setting ? [[o.field, typeof get(o.setting.key) === 'boolean' ? get(o.setting.key) : undefined]] : [])),
      ),
    },
    inline: {
      enabled: get('inline.enabled') !== false,
      debounceMs: numOr('inline.debounceMs'),
      holeTokens: numOr('inline.holeTokens'),
      drafts: oneOf('inline.drafts', INLINE_DRAFT_STYLES, 'decoration'),
    },
    fill: {
      holeTokens: numOr('fill.holeTokens'),
    },
    languages: isBooleanMap(languages) ? languages : { '*': true },
    syntaxCheck: get('syntaxCheck') !== false,
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
