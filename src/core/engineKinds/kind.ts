import { InfillEngine } from '../engine';
import { InfillError } from '../errors';
import { EngineSource, openEngine } from '../openEngine';
import { parseHttpUrl } from '../remote/http';
import { RuntimeOptions } from '../runtimeOptions';

/** One value a kind reads: a setting in the editor, a flag on the command line, a question in the guided flow. */
export interface KindField {
  /** Its key in the kind's values. */
  name: string;
  /** The setting below `diffusionInfill.` that holds it (each kind its own). */
  setting: string;
  /** The flag of `diffusion-infill fill` that gives it; kinds may share one that means the same. */
  flag: string;
  /** The setting an earlier version read for it (shared by the remote kinds), read while its own is empty. */
  legacy?: string;
  type: 'url' | 'text' | 'folder' | 'boolean';
  /** What the guided flow asks, as a title. */
  prompt: string;
  /** An example answer. */
  example?: string;
  optional?: boolean;
}

/** The secret a remote kind may send (an API key or a bearer token): never a setting; SecretStorage, a flag or the environment. */
export interface KindSecret {
  label: string;
  flag: string;
  env: string;
  /** Whether the endpoint always wants one (the guided flow then insists). */
  required: boolean;
}

export type KindValues = Record<string, string | boolean | undefined>;

/** What opening a kind needs besides its values. */
export interface KindContext {
  /** How the editor or the CLI names a field in a message: the setting, or the flag. */
  name(field: KindField): string;
  /** The device and threads for a model run here, and where it logs. */
  runtime?: RuntimeOptions;
  secret?: string;
  /** The folder of a model downloaded into this machine's store (src/models/store.ts), by its repository id. */
  pulledModel?(repo: string): string | undefined;
}

/**
 * A kind of engine the user can choose: the one place that knows its label, what it reads, how it
 * is built from those values and how it opens. The settings enum, the editor's picker and guided
 * flow, the CLI's --source and the docs' table all come from the list of them (index.ts).
 */
export interface EngineKind {
  id: string;
  label: string;
  /** What it is, in the user's words, on one line of plain text (the picker draws no Markdown). */
  detail: string;
  /** `local` runs on this machine (device and threads apply); `remote` is asked over HTTP. */
  where: 'local' | 'remote';
  fields: readonly KindField[];
  secret?: KindSecret;
  /** The engine source for these values; a KindError that names the field when one is missing or wrong. */
  source(values: KindValues, context: KindContext): EngineSource;
  /** Opens it; the default opens `source` with the core's openEngine. */
  open?(values: KindValues, context: KindContext, signal?: AbortSignal): Promise<InfillEngine>;
}

/** A kind's value that is missing or wrong: the message names the setting or flag, and `field` says which. */
export class KindError extends InfillError {
  constructor(
    message: string,
    readonly kind: string,
    readonly field?: KindField,
  ) {
    super(message);
    this.name = 'KindError';
  }
}

export function openKind(kind: EngineKind, values: KindValues, context: KindContext, signal?: AbortSignal): Promise<InfillEngine> {
  return kind.open ? kind.open(values, context, signal) : openEngine(kind.source(values, context), signal);
}

/** The text of a field that must be given, or a KindError that says what to give. */
export function requiredText(kind: EngineKind, name: string, values: KindValues, context: KindContext): string {
  const field = kind.fields.find((f) => f.name === name);
  if (!field) throw new Error(`${kind.id} has no field ${name}`);
  const value = values[name];
  if (typeof value === 'string' && value.trim() !== '') return value.trim();
  const example = field.example ? ` (e.g. ${field.example})` : '';
  throw new KindError(`the model source "${kind.id}" needs ${context.name(field)}: ${field.prompt.toLowerCase()}${example}`, kind.id, field);
}

/** The URL a remote kind is asked at: given, and a URL (a message that says how to write it otherwise). */
export function requiredUrl(kind: EngineKind, values: KindValues, context: KindContext): string {
  const url = requiredText(kind, 'url', values, context);
  const example = kind.fields.find((f) => f.name === 'url')?.example ?? 'http://host:port';
  parseHttpUrl(url, example, [context.secret]);
  return url;
}
