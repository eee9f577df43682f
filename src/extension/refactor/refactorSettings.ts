import { numberSetting } from '../settings';

/** `diffusionInfill.refactor.*`, typed. A value of the wrong type falls back to the default, as in settings.ts. */
export interface RefactorSettings {
  /** How many of the body's least confident tokens Repair Function masks again. */
  repairTokens: number;
}

/** Reads one setting below `diffusionInfill.refactor.`. */
export function parseRefactorSettings(get: (key: string) => unknown): RefactorSettings {
  return { repairTokens: numberSetting('refactor.repairTokens', get('repairTokens')) };
}
