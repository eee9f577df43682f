import { codeFollowsOnLine, InfillOptions, InfillRequest, numberOption } from '../../core';
import { ExtensionSettings } from '../settings';

/**
 * The text around the cursor that an inline completion sends to the engine. The engine fits the
 * canvas to its token budget itself; this cut only keeps a huge file from being tokenized on
 * every keystroke. Three quarters of the budget go before the cursor, where most of the signal is.
 */
export interface CompletionWindow {
  /** The window's text; the hole is at `cursor`. */
  text: string;
  cursor: number;
  /** Offset of the window in the document. */
  start: number;
}

export function completionWindow(text: string, cursor: number, maxChars: number): CompletionWindow {
  const before = Math.floor(maxChars * 0.75);
  let start = Math.max(0, cursor - before);
  let end = Math.min(text.length, cursor + (maxChars - (cursor - start)));
  // Start and end on whole lines, so the model never sees half an identifier at the edge.
  if (start > 0) {
    const nl = text.indexOf('\n', start);
    if (nl !== -1 && nl < cursor) start = nl + 1;
  }
  if (end < text.length) {
    const nl = text.lastIndexOf('\n', end);
    if (nl >= cursor) end = nl;
  }
  return { text: text.slice(start, end), cursor: cursor - start, start };
}

/** Roughly four characters per token for code; used only to size the window. */
export function charsForTokens(tokens: number): number {
  return tokens * 4;
}

/** Sizes the window when the setting is unset (VS Code hands over its contributed default, so only outside it). */
const DEFAULT_CONTEXT_TOKENS = numberOption('contextTokens').setting!.default as number;

/**
 * The engine request of an inline completion at `cursor` of the document `uri`: the window around
 * it, the cursor its hole.  The document is its reuseKey: a completion may start from the keys and
 * values of this file's earlier requests (and its prefill), never another's.
 */
export function inlineRequest(
  text: string,
  cursor: number,
  settings: ExtensionSettings,
  uri: string,
): { window: CompletionWindow; request: InfillRequest; options: InfillOptions } {
  const window = completionWindow(text, cursor, charsForTokens(settings.sampler.contextTokens ?? DEFAULT_CONTEXT_TOKENS));
  const request = { text: window.text, holes: [{ start: window.cursor, end: window.cursor, singleLine: codeFollowsOnLine(window.text, window.cursor) }] };
  return { window, request, options: { ...settings.sampler, defaultHoleTokens: settings.inline.holeTokens, reuseKey: uri } };
}
