import type { FilledHole } from '../../core';
import { singleLineFill } from '../../core/holes';

/**
 * Editor-agnostic clean-up of an inline fill, in small steps that each undo one way a fill can
 * be wrong at a cursor. Returns undefined when nothing worth showing is left.
 */
export interface CursorContext {
  /** Text of the cursor's line before the cursor. */
  linePrefix: string;
  /** Text of the cursor's line after the cursor. */
  lineSuffix: string;
  /** The lines after the cursor's line, in order. */
  followingLines: string[];
}

/** A fill the model was unsure of is worse than none; engines that cannot tell pass. */
export function confidentEnough(hole: FilledHole | undefined, minConfidence: number): boolean {
  return hole !== undefined && (hole.confidence === undefined || hole.confidence >= minConfidence);
}

export function postprocessFill(fill: string, context: CursorContext): string | undefined {
  let text = fill;
  text = keepOneLineMidLine(text, context);
  text = stopAtSuffix(text, context);
  text = text.replace(/[ \t]+$/gm, '').replace(/\n+$/, '');
  if (text.trim() === '') return undefined;
  if (repeatsNextLine(text, context)) return undefined;
  return text;
}

/**
 * With code after the cursor on its line, only that line can be completed.  The engine is asked for
 * a single-line hole there (core codeFollowsOnLine); this cuts fills from engines that cannot
 * honour it (fill-in-the-middle endpoints).
 */
export function keepOneLineMidLine(fill: string, context: CursorContext): string {
  return context.lineSuffix.trim() === '' ? fill : singleLineFill(fill);
}

/** Cuts the fill where it starts writing the code that already follows the cursor. */
export function stopAtSuffix(fill: string, context: CursorContext): string {
  const next = firstNonBlank(context.followingLines);
  if (next === undefined) return fill;
  const lines = fill.split('\n');
  // The first line continues the cursor's line, so it cannot be a copy of a following line.
  for (let i = 1; i < lines.length; i++) {
    if (lines[i].trim() !== '' && lines[i].trim() === next.trim()) return lines.slice(0, i).join('\n');
  }
  return fill;
}

/** A fill that only repeats the next line adds nothing. */
export function repeatsNextLine(fill: string, context: CursorContext): boolean {
  const next = firstNonBlank(context.followingLines);
  return next !== undefined && context.linePrefix.trim() === '' && fill.trim() === next.trim();
}

function firstNonBlank(lines: string[]): string | undefined {
  return lines.find((l) => l.trim() !== '');
}
