/**
 * Finished inline fills, keyed by the text before and after the cursor. Asking again at the same
 * place costs nothing, and when the user types the start of a cached fill, the rest is offered.
 */
interface Entry {
  prefix: string;
  suffix: string;
  fill: string;
  /** Shown under the confidence floor because it was asked for (Alt+\): only an explicit request gets it again. */
  unsure: boolean;
}

/** How much of the prefix and suffix is part of the key; enough to tell places apart. */
export const KEY_CHARS = 2000;

export class CompletionCache {
  private readonly entries = new Map<string, Entry>();

  constructor(private readonly capacity = 100) {}

  get size(): number {
    return this.entries.size;
  }

  set(prefix: string, suffix: string, fill: string, unsure = false): void {
    const entry = { prefix: prefix.slice(-KEY_CHARS), suffix: suffix.slice(0, KEY_CHARS), fill, unsure };
    const key = keyOf(entry.prefix, entry.suffix);
    this.entries.delete(key);
    this.entries.set(key, entry);
    while (this.entries.size > this.capacity) this.entries.delete(this.entries.keys().next().value as string);
  }

  /**
   * The fill for this place: an exact hit, or the untyped rest of a fill the user is typing. A fill
   * the model was unsure of only when `withUnsure` (an explicit request).
   */
  get(prefix: string, suffix: string, withUnsure = false): string | undefined {
    const p = prefix.slice(-KEY_CHARS);
    const s = suffix.slice(0, KEY_CHARS);
    const exact = this.entries.get(keyOf(p, s));
    if (exact && (withUnsure || !exact.unsure)) {
      this.touch(exact);
      return exact.fill;
    }
    // Typed ahead: the prefix is a cached prefix plus the first characters of its fill.
    for (const entry of [...this.entries.values()].reverse()) {
      if (entry.suffix !== s || (entry.unsure && !withUnsure)) continue;
      for (let typed = 1; typed < entry.fill.length; typed++) {
        if (prefix.endsWith(entry.fill.slice(0, typed)) && prefix.slice(0, prefix.length - typed).slice(-KEY_CHARS) === entry.prefix) {
          this.touch(entry);
          return entry.fill.slice(typed);
        }
      }
    }
    return undefined;
  }

  clear(): void {
    this.entries.clear();
  }

  private touch(entry: Entry): void {
    const key = keyOf(entry.prefix, entry.suffix);
    this.entries.delete(key);
    this.entries.set(key, entry);
  }
}

function keyOf(prefix: string, suffix: string): string {
  return `${prefix.length}:${prefix}\u0000${suffix}`;
}
