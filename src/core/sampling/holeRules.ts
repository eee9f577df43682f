/** A hole as the rules see it: where its masked positions sit and what it asks for. */
export interface RuledHole {
  start: number;
  length: number;
  /** No line break may be written in it. */
  singleLine: boolean;
  /** Text taken off the context before the hole that its fill must start with (token healing). */
  heal: string;
}

export interface HoleRulesInput {
  holes: readonly RuledHole[];
  maskTokenId: number;
  /** End-of-text and pad: a hole of unknown length ends at the first.  Unset for fixed-length spans. */
  endTokenIds?: ReadonlySet<number>;
  /** What the rest of a finished hole is filled with (the pad token). */
  padTokenId?: number;
  /** Tokens holding a line break; needed when a hole is single-line. */
  lineBreakTokenIds?: Int32Array;
  /** Each token's text; needed when a hole heals. */
  tokenTexts?: readonly string[];
  /** Tokens no hole may take (a DreamOn model's `[expand]` in a hole of given length), and the vocabulary's size. */
  forbidden?: { ids: number[]; vocabSize: number };
}

/**
 * What a step may write where, beyond what the model proposes:
 * - an end token waits until the position to its left is decided, so a hole ends where its text
 *   ends rather than wherever the model was surest of the padding; once it has ended, its
 *   remaining masks take the pad token and cost no more forwards;
 * - in a single-line hole a line break is an end: the line is over where the model would start a
 *   new one (the fill is cut there);
 * - a healed hole is written left to right until its heal text is written: the token before the
 *   hole was taken off the context (it may be the start of a longer token, like the indentation
 *   before `}` or the `ba` of `foo.ba|`), and the first tokens must spell it out again.
 * The leftmost masked position of a hole is never made to wait, so every step can commit.
 */
export class HoleRules {
  private readonly holeStarts: Set<number>;
  private readonly holeAt = new Map<number, RuledHole>();
  private readonly lineBreaks: ReadonlySet<number>;
  /** Per step: the position that must continue a heal, with the text still owed. */
  private healFrontier = new Map<number, string>();
  private healWaiting = new Set<number>();
  private readonly allowedForHeal = new Map<string, Uint8Array>();

  private readonly allowedAnywhere: Uint8Array | null = null;

  constructor(private readonly input: HoleRulesInput) {
    if (input.forbidden) {
      this.allowedAnywhere = new Uint8Array(input.forbidden.vocabSize).fill(1);
      for (const id of input.forbidden.ids) this.allowedAnywhere[id] = 0;
    }
    this.holeStarts = new Set(input.holes.map((h) => h.start));
    for (const h of input.holes) for (let p = h.start; p < h.start + h.length; p++) this.holeAt.set(p, h);
    this.lineBreaks = new Set(input.lineBreakTokenIds ?? []);
  }

  /** Works out, from the canvas at the start of a step, which positions continue or wait on a heal. */
  prepare(ids: Int32Array): void {
    this.healFrontier = new Map();
    this.healWaiting = new Set();
    for (const h of this.input.holes) {
      const heal = this.healScan(h, ids);
      if (!heal.owed) continue;
      this.healFrontier.set(heal.after, heal.owed);
      for (let q = heal.after + 1; q < h.start + h.length; q++) if (ids[q] === this.input.maskTokenId) this.healWaiting.add(q);
    }
  }

  /** The tokens masked position `pos` may take in this step (1 = allowed), or null for any. */
  allowedAt(pos: number): Uint8Array | null {
    const owed = this.healFrontier.get(pos);
    return owed === undefined ? this.allowedAnywhere : this.allowedFor(owed);
  }

  /** True when `pos`, proposing `token`, must not be committed in this step. */
  waits(pos: number, token: number, ids: Int32Array): boolean {
    if (this.healWaiting.has(pos)) return true;
    // Spelling the heal: a line break there is the document's, not the end of the line.
    if (this.healFrontier.has(pos)) return false;
    return this.ends(pos, token) && !this.holeStarts.has(pos) && ids[pos - 1] === this.input.maskTokenId;
  }

  /** After a step's commits: a hole whose first end has only decided positions before it is finished. */
  settle(ids: Int32Array): void {
    for (const h of this.input.holes) {
      const heal = this.healScan(h, ids);
      if (heal.owed) continue;
      for (let p = heal.after; p < h.start + h.length; p++) {
        if (ids[p] === this.input.maskTokenId) break;
        if (!this.ends(p, ids[p])) continue;
        const fill = this.input.padTokenId ?? ids[p];
        for (let q = p + 1; q < h.start + h.length; q++) if (ids[q] === this.input.maskTokenId) ids[q] = fill;
        break;
      }
    }
  }

  /** True when `token` at `pos` ends its hole: an end token, or a line break in a single-line hole. */
  ends(pos: number, token: number): boolean {
    if (this.input.endTokenIds?.has(token)) return true;
    return this.lineBreaks.has(token) && this.holeAt.get(pos)?.singleLine === true;
  }

  /**
   * Reads the heal text off the hole's committed start: `after` is the first position past it (the
   * hole's start when it has none), `owed` what is still to be written there ('' when done).
   */
  private healScan(h: RuledHole, ids: Int32Array): { after: number; owed: string } {
    const texts = this.input.tokenTexts;
    if (!h.heal || !texts) return { after: h.start, owed: '' };
    let written = '';
    let p = h.start;
    for (; p < h.start + h.length && ids[p] !== this.input.maskTokenId && written.length < h.heal.length; p++) written += texts[ids[p]];
    const done = written.length >= h.heal.length || p === h.start + h.length || !h.heal.startsWith(written);
    return { after: p, owed: done ? '' : h.heal.slice(written.length) };
  }

  /** Tokens that continue the owed text: a prefix of it, or a token that starts with all of it. */
  private allowedFor(owed: string): Uint8Array {
    let allowed = this.allowedForHeal.get(owed);
    if (!allowed) {
      const texts = this.input.tokenTexts!;
      allowed = new Uint8Array(texts.length);
      texts.forEach((t, id) => {
        if (t.length > 0 && (t.startsWith(owed) || owed.startsWith(t)) && this.allowedAnywhere?.[id] !== 0) allowed![id] = 1;
      });
      this.allowedForHeal.set(owed, allowed);
    }
    return allowed;
  }
}
