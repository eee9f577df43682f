/** `diffusionInfill.refactor.*`, typed. A value of the wrong type falls back to the default, as in settings.ts. */
export interface RefactorSettings {
  /** How many of the body's least confident tokens Repair Function masks again. */
  repairTokens: number;
}

export const DEFAULT_REPAIR_TOKENS = 8;

/** Reads one setting below `diffusionInfill.refactor.`. */
export function parseRefactorSettings(get: (key: string) => unknown): RefactorSettings {
  const v = get('repairTokens');
  const repairTokens = typeof v === 'number' && Number.isFinite(v) ? Math.round(Math.min(512, Math.max(1, v))) : DEFAULT_REPAIR_TOKENS;
  return { repairTokens };
}
