import { nextCodeLine } from './nextLine';

/**
 * Nothing, for a fill on a line of its own that only writes the line after it again: accepted,
 * it would double that line. A fill that continues code before it on its line is another line's
 * text, so it is kept.
 */
export function withoutCopyOfNextLine(fill: string, before: string, after: string): string {
  const linePrefix = before.slice(before.lastIndexOf('\n') + 1);
  const next = nextCodeLine(after);
  return next !== undefined && linePrefix.trim() === '' && fill.trim() !== '' && fill.trim() === next.trim() ? '' : fill;
}
