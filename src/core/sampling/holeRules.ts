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
  /** Tokens holding a line break; needed when a hole is single-line. */
  lineBreakTokenIds?: Int32Array;
  /** Each token's text; needed when a hole heals. */
  tokenTexts?: readonly string[];
}

/**
 * What a step may write where, beyond what the model proposes:
 * - an end token waits until the position to its left is decided, so a hole ends where its text
 *   ends rather than wherever the model was surest of the padding; once it has ended, its
 *   remaining masks take the end token and cost no more forwards;
 * - a single-line hole cannot hold a line break;
 * - a healed hole is written left to right until its heal text is written: the token before the
 *   hole was taken off the context (it may be the start of a longer token, like the indentation
 *   before `}` or the `ba` of `foo.ba|`), and the first tokens must spell it out again.
 * The leftmost masked position of a hole is never made to wait, so every step can commit.
 */
export class HoleRules {
  private readonly holeStarts: Set<number>;
  private readonly singleLine = new Set<number>();
  /** Per step: the position that must continue a heal, with the text still owed. */
  private healFrontier = new Map<number, string>();
  private healWaiting = new Set<number>();
  private readonly allowedForHeal = new Map<string, Uint8Array>();

  constructor(private readonly input: HoleRulesInput) {
    this.holeStarts = new Set(input.holes.map((h) => h.start));
    for (const h of input.holes) if (h.singleLine) for (let p = h.start; p < h.start + h.length; p++) this.singleLine.add(p);
  }

  /** Works out, from the canvas at the start of a step, which positions continue or wait on a heal. */
  prepare(ids: Int32Array): void {
    this.healFrontier = new Map();
    this.healWaiting = new Set();
    const texts = this.input.tokenTexts;
    if (!texts) return;
    for (const h of this.input.holes) {
      if (!h.heal) continue;
      let written = '';
      let p = h.start;
      for (; p < h.start + h.length && ids[p] !== this.input.maskTokenId && written.length < h.heal.length; p++) written += texts[ids[p]];
      if (written.length >= h.heal.length || p === h.start + h.length || !h.heal.startsWith(written)) continue;
      this.healFrontier.set(p, h.heal.slice(written.length));
      for (let q = p + 1; q < h.start + h.length; q++) if (ids[q] === this.input.maskTokenId) this.healWaiting.add(q);
    }
  }

  /** Narrows the logits of masked position `pos` in place to what may be written there. */
  restrict(pos: number, row: Float32Array): void {
    const owed = this.healFrontier.get(pos);
    if (owed !== undefined) {
      // The heal text is the document's, line break included; only what follows it is the fill.
      const allowed = this.allowedFor(owed, this.singleLine.has(pos));
      for (let id = 0; id < row.length; id++) if (!allowed[id]) row[id] = -Infinity;
    } else if (this.singleLine.has(pos) && this.input.lineBreakTokenIds) {
      for (const id of this.input.lineBreakTokenIds) row[id] = -Infinity;
    }
  }

  /** True when `pos`, proposing `token`, must not be committed in this step. */
  waits(pos: number, token: number, ids: Int32Array): boolean {
    if (this.healWaiting.has(pos)) return true;
    const ends = this.input.endTokenIds;
    return !!ends && ends.has(token) && !this.holeStarts.has(pos) && ids[pos - 1] === this.input.maskTokenId;
  }

  /** After a step's commits: a hole whose first end token has only decided positions before it is finished. */
  settle(ids: Int32Array): void {
    const ends = this.input.endTokenIds;
    if (!ends) return;
    for (const h of this.input.holes) {
      for (let p = h.start; p < h.start + h.length; p++) {
        if (ids[p] === this.input.maskTokenId) break;
        if (!ends.has(ids[p])) continue;
        for (let q = p + 1; q < h.start + h.length; q++) if (ids[q] === this.input.maskTokenId) ids[q] = ids[p];
        break;
      }
    }
  }

  /**
   * Tokens that continue the owed text: a prefix of it, or a token that starts with all of it (and,
   * in a single-line hole, holds no line break after it).
   */
  private allowedFor(owed: string, singleLine: boolean): Uint8Array {
    const key = `${singleLine ? 1 : 0}${owed}`;
    let allowed = this.allowedForHeal.get(key);
    if (!allowed) {
      const texts = this.input.tokenTexts!;
      allowed = new Uint8Array(texts.length);
      texts.forEach((t, id) => {
        const continues = t.startsWith(owed) && !(singleLine && /[\r\n]/.test(t.slice(owed.length)));
        if (t.length > 0 && (continues || owed.startsWith(t))) allowed![id] = 1;
      });
      this.allowedForHeal.set(key, allowed);
    }
    return allowed;
  }
}
