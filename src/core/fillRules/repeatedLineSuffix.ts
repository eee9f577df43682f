import { singleLineFill } from './singleLine';

/**
 * A mid-line fill less the closing text it wrote again, which the line already has after the hole:
 * `x;` before `;` becomes `x`, `a, b)` before `);` becomes `a, b`, while `f()` before `)` stays (its
 * own brackets close).  Only punctuation comes off, never a word, and only where the fill's brackets
 * balance no worse without it.
 */
export function withoutRepeatedLineSuffix(fill: string, lineSuffix: string): string {
  const suffix = lineSuffix.trimStart();
  const first = singleLineFill(fill);
  const line = first.trimEnd();
  const rest = fill.slice(first.length);
  for (let k = Math.min(suffix.length, line.length); k > 0; k--) {
    const repeated = suffix.slice(0, k);
    if (/\w/.test(repeated) || !line.endsWith(repeated)) continue;
    const kept = line.slice(0, line.length - k);
    if (kept.trim() !== '' && Math.abs(unclosed(kept)) <= Math.abs(unclosed(line))) return kept.trimEnd() + rest;
  }
  return fill;
}

/** Openers minus closers among ( [ {. */
export function unclosed(text: string): number {
  let n = 0;
  for (const c of text) {
    if (c === '(' || c === '[' || c === '{') n++;
    else if (c === ')' || c === ']' || c === '}') n--;
  }
  return n;
}
