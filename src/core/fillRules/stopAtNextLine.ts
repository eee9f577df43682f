import { nextCodeLine } from './nextLine';

/**
 * A fill cut where it starts writing the code that already follows it: a model that closes the
 * function at the cursor often goes on to write the `}` and the next function the document has.
 * The fill's first line continues the hole's own line, so only later lines count as a copy.
 */
export function stoppedAtNextLine(fill: string, after: string): string {
  const next = nextCodeLine(after)?.trim();
  if (next === undefined) return fill;
  const lines = fill.split('\n');
  for (let i = 1; i < lines.length; i++) {
    if (lines[i].trim() === next) return lines.slice(0, i).join('\n');
  }
  return fill;
}
