import { FilledHole } from '../events';
import { Hole, lineAfter, withoutRepeatedLineSuffix } from '../holes';
import { withoutDoubledSpaces } from './doubledSpaces';
import { withoutRepeatedLines } from './repeatedLines';

export { withoutDoubledSpaces } from './doubledSpaces';
export { withoutRepeatedLines } from './repeatedLines';

/**
 * The rules every engine's fill goes through once, in its result (resultEvent): what a fill
 * repeats of the document around it, or of itself, comes off. Each rule is a file with its test.
 */
export function cleanFill(fill: FilledHole, hole: Hole, text: string): FilledHole {
  let cleaned = fill.text;
  if (hole.singleLine) cleaned = withoutRepeatedLineSuffix(cleaned, lineAfter(text, hole.end));
  cleaned = withoutRepeatedLines(cleaned);
  cleaned = withoutDoubledSpaces(cleaned, text.slice(0, hole.start), text.slice(hole.end));
  return cleaned === fill.text ? fill : { ...fill, text: cleaned };
}
