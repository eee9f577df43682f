/** A line written this many times in a row (blank lines between them aside) is a model stuck in a loop. */
export const REPEATS = 3;

/**
 * A fill cut where it starts writing the same line over and over: the first copy stays, the
 * repeats and everything after them go. Lines are compared with their indentation, so `}` closing
 * three nested blocks at three depths is not a repeat.
 */
export function withoutRepeatedLines(fill: string): string {
  const lines = fill.split('\n');
  let runLine = '';
  let runStart = -1;
  let count = 0;
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i].replace(/[ \t\r]+$/, '');
    if (line.trim() === '') continue;
    if (line === runLine) {
      if (++count >= REPEATS) return lines.slice(0, runStart + 1).join('\n');
    } else {
      runLine = line;
      runStart = i;
      count = 1;
    }
  }
  return fill;
}
