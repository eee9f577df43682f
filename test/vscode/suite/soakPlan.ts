/** What the soak's "user" does while a generation runs (soak.test.ts). */
export const SOAK_ACTIONS = ['none', 'none', 'type', 'delete', 'typeElsewhere', 'moveCursor', 'switchTab', 'close', 'undo', 'cancel'] as const;
export type SoakAction = (typeof SOAK_ACTIONS)[number];

export interface Rng {
  /** A whole number from 0 to n - 1. */
  int(n: number): number;
  pick<T>(items: readonly T[]): T;
}

/** mulberry32: a seeded generator, so that a failing soak can be run again as it was. */
export function seeded(seed: number): Rng {
  let a = seed >>> 0;
  const next = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const int = (n: number) => Math.floor(next() * Math.max(1, n));
  return { int, pick: (items) => items[int(items.length)] };
}

export interface SoakReport {
  n: number;
  /** Generations run so far. */
  done: number;
  seed: number;
  corrupted: number;
  failures: string[];
  /** "kind action" -> outcome -> count. */
  outcomes: Record<string, Record<string, number>>;
}

/** Counts of what was tried and how it ended, for the report. */
export class SoakTally {
  private readonly outcomes: Record<string, Record<string, number>> = {};

  add(kind: string, action: string, outcome: string, corrupted: boolean): void {
    const row = (this.outcomes[`${kind} ${action}`] ??= {});
    const key = corrupted ? `${outcome} CORRUPTED` : outcome;
    row[key] = (row[key] ?? 0) + 1;
  }

  toJSON(): { outcomes: Record<string, Record<string, number>> } {
    return { outcomes: this.outcomes };
  }
}
