import { Span } from '../../core';

/** A selection of this many lines or more is rewritten only after the user has seen the diff. */
export const PREVIEW_LINES = 40;

const MARKER_ONLY = /^<\|hole(?::\d+)?\|>$/;

/**
 * Whether a Fill Selection must be shown as a diff to accept instead of written: one of its holes
 * is a selection (not a marker) that is the whole document, or large. Ctrl+A then Fill Selection
 * in a file without markers would otherwise rewrite the file unasked.
 */
export function needsPreview(text: string, replaces: Span[]): boolean {
  return replaces.some((r) => {
    const replaced = text.slice(r.start, r.end);
    if (r.end <= r.start || MARKER_ONLY.test(replaced)) return false;
    const whole = text.slice(0, r.start).trim() === '' && text.slice(r.end).trim() === '';
    return whole || replaced.split('\n').length >= PREVIEW_LINES;
  });
}

/** The smallest span of the document that holds every hole, and its text with the fills written in. */
export function filledSpan(text: string, replaces: Span[], fills: string[]): { replace: Span; replacement: string } {
  const order = replaces.map((r, i) => ({ r, fill: fills[i] })).sort((a, b) => a.r.start - b.r.start);
  const start = order[0].r.start;
  const end = Math.max(...order.map((o) => o.r.end));
  let replacement = '';
  let at = start;
  for (const { r, fill } of order) {
    replacement += text.slice(at, r.start) + fill;
    at = r.end;
  }
  return { replace: { start, end }, replacement: replacement + text.slice(at, end) };
}
