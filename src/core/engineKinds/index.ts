import { bundled } from './bundled';
import { folder } from './folder';
import { EngineKind, KindField, KindValues } from './kind';
import { openaiChat } from './openaiChat';
import { openaiFim } from './openaiFim';
import { pulled } from './pulled';
import { server } from './server';

export * from './kind';

/**
 * Every kind of engine a user can choose, in the order they are offered. A new kind is a module
 * beside these and one line here; package.json's settings and the docs' table are held to this
 * list by test/unit/core/engineKinds.test.ts.
 */
export const ENGINE_KINDS: readonly EngineKind[] = [bundled, pulled, folder, server, openaiFim, openaiChat];

export const KIND_IDS: readonly string[] = ENGINE_KINDS.map((k) => k.id);

export function kindById(id: string): EngineKind | undefined {
  return ENGINE_KINDS.find((k) => k.id === id);
}

/** A kind's values from a reader of settings: its own setting, else the legacy one it replaced. */
export function kindValues(kind: EngineKind, get: (setting: string) => unknown): KindValues {
  const value = (field: KindField): string | boolean | undefined => {
    const keys = [field.setting, field.legacy].filter((k): k is string => k !== undefined);
    // A reader gives a boolean's default when it is unset: either setting on turns it on.
    if (field.type === 'boolean') return keys.some((k) => get(k) === true);
    for (const key of keys) {
      const v = get(key);
      if (typeof v === 'string' && v.trim() !== '') return v.trim();
    }
    return undefined;
  };
  return Object.fromEntries(kind.fields.map((f) => [f.name, value(f)]));
}

/** The docs' table of kinds (docs/extension.md), as the test expects it. */
export function kindsTable(): string {
  const rows = ENGINE_KINDS.map((k) => {
    const settings = k.fields.map((f) => `\`diffusionInfill.${f.setting}\``).join(', ') || '–';
    const flags = k.fields.map((f) => `\`--${f.flag}\``).concat(k.secret ? [`\`--${k.secret.flag}\` / \`$${k.secret.env}\``] : []);
    return `| \`${k.id}\` | ${k.label} | ${k.detail} | ${settings}${k.secret ? `; the ${k.secret.label} in SecretStorage` : ''} | \`--source ${k.id}\` ${flags.join(' ')} |`;
  });
  return ['| kind | label | what it is | settings | CLI |', '| --- | --- | --- | --- | --- |', ...rows].join('\n');
}
