import { ENGINE_KINDS, EngineKind, KIND_IDS, kindById, KindValues } from '../core/engineKinds';
import { FlagValues, UsageError } from './args';

/**
 * The flags that choose the model source and give its values: `--source` (one of the engine
 * kinds) and each kind's own flags (src/core/engineKinds), so that a new kind is a new choice here
 * without an edit.
 */
export const SOURCE_FLAGS: Record<string, { type: 'string' | 'boolean' }> = {
  source: { type: 'string' },
  ...Object.fromEntries(
    ENGINE_KINDS.flatMap((k) => [
      ...k.fields.map((f) => [f.flag, { type: f.type === 'boolean' ? ('boolean' as const) : ('string' as const) }]),
      ...(k.secret ? [[k.secret.flag, { type: 'string' as const }]] : []),
    ]),
  ),
};

/** The kind the flags choose, its values, and its secret (the flag, else the environment variable). */
export function chosenSource(flags: FlagValues): { kind: EngineKind; values: KindValues; secret?: string } {
  const kind = chooseKind(flags);
  const given = ENGINE_KINDS.flatMap((k) => [...k.fields.map((f) => f.flag), ...(k.secret ? [k.secret.flag] : [])]).filter((f) => flags[f] !== undefined);
  const own = new Set([...kind.fields.map((f) => f.flag), ...(kind.secret ? [kind.secret.flag] : [])]);
  const stray = given.find((f) => !own.has(f));
  if (stray) throw new UsageError(`--${stray} is not read by the model source "${kind.id}" (${kind.label})`);
  const values = Object.fromEntries(kind.fields.map((f) => [f.name, f.type === 'boolean' ? flags[f.flag] === true : (flags[f.flag] as string | undefined)]));
  const secret = kind.secret ? ((flags[kind.secret.flag] as string | undefined) ?? process.env[kind.secret.env] ?? undefined) : undefined;
  return { kind, values, secret };
}

/** --source, else the one kind whose required flags were given (--model: a folder, --server: a server), else the first. */
function chooseKind(flags: FlagValues): EngineKind {
  const named = flags.source;
  if (named !== undefined) {
    const kind = typeof named === 'string' ? kindById(named) : undefined;
    if (!kind) throw new UsageError(`--source must be one of ${KIND_IDS.join(', ')}, not "${named}"`);
    return kind;
  }
  const implied = ENGINE_KINDS.filter((k) => k.fields.some((f) => !f.optional && flags[f.flag] !== undefined));
  if (implied.length > 1) {
    const ids = implied.map((k) => k.id);
    throw new UsageError(`${ids.slice(0, -1).join(', ')} and ${ids.at(-1)} read these flags: say which with --source`);
  }
  return implied[0] ?? ENGINE_KINDS[0];
}

/** The usage lines of the model sources, one per kind, from the list. */
export function sourceFlagsUsage(): string {
  const rows = ENGINE_KINDS.map((k) => {
    const flags = k.fields.map((f) =>
      f.type === 'boolean' ? `[--${f.flag}]` : `--${f.flag} ${f.type === 'folder' ? 'DIR' : f.type === 'url' ? 'URL' : 'NAME'}`,
    );
    if (k.secret) flags.push(`[--${k.secret.flag} K | $${k.secret.env}]`);
    return [`--source ${k.id}`, `${flags.join(' ')}${flags.length ? ': ' : ''}${k.detail}`];
  });
  const width = Math.max(...rows.map(([flag]) => flag.length));
  return rows.map(([flag, text]) => `  ${flag.padEnd(width)}  ${text}`).join('\n');
}
