import type { FilledHole, ResultHole } from '../events';
import { Hole, lineAfter } from '../holes';
import { withoutDoubledSpaces } from './doubledSpaces';
import { isHeldBack } from './heldBack';
import { withoutRepeatedLines } from './repeatedLines';
import { withoutRepeatedLineSuffix } from './repeatedLineSuffix';
import { withoutCopyOfNextLine } from './repeatsNextLine';
import { singleLineFill } from './singleLine';
import { stoppedAtNextLine } from './stopAtNextLine';
import { withoutTrailingWhitespace } from './trailingWhitespace';

export { withoutDoubledSpaces } from './doubledSpaces';
export { isHeldBack } from './heldBack';
export { withoutRepeatedLines } from './repeatedLines';
export { unclosed, withoutRepeatedLineSuffix } from './repeatedLineSuffix';
export { withoutCopyOfNextLine } from './repeatsNextLine';
export { singleLineFill } from './singleLine';
export { stoppedAtNextLine } from './stopAtNextLine';
export { withoutTrailingWhitespace } from './trailingWhitespace';

/**
 * The rules every engine's fill goes through once, in its result (resultEvent): what a fill writes
 * past its line, repeats of the document around it or of itself, and the blanks it ends with come
 * off, so that the editor, the CLI and an HTTP client get the same fill. Each rule is a file with
 * its test. `inPlace` (FillDocument.inPlace): the fill replaces tokens inside code.
 */
export function cleanFill(fill: string, hole: Hole, text: string, inPlace = false): string {
  const before = text.slice(0, hole.start);
  const after = text.slice(hole.end);
  let cleaned = fill;
  if (hole.singleLine) {
    cleaned = singleLineFill(cleaned);
    cleaned = withoutRepeatedLineSuffix(cleaned, lineAfter(text, hole.end));
  }
  cleaned = withoutRepeatedLines(cleaned);
  cleaned = withoutDoubledSpaces(cleaned, before, after);
  if (inPlace) return cleaned;
  cleaned = stoppedAtNextLine(cleaned, after);
  cleaned = withoutTrailingWhitespace(cleaned, after, text.slice(hole.start, hole.end));
  return withoutCopyOfNextLine(cleaned, before, after);
}

/** A hole of the result: its fill cleaned, and held back where the model was less sure of it than `minConfidence`. */
export function resultHole(fill: FilledHole, hole: Hole, text: string, minConfidence: number, inPlace = false): ResultHole {
  return { ...fill, text: cleanFill(fill.text, hole, text, inPlace), heldBack: isHeldBack(fill.confidence, minConfidence) };
}
