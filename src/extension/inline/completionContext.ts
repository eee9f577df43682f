import { codeFollowsOnLine, InfillOptions, InfillRequest } from '../../core';
import { ExtensionSettings } from '../settings';

/**
 * The engine request of an inline completion at `cursor` of the document `uri`: the whole
 * document, the cursor its hole. The engine cuts the context it reads (canvas.ts fitWindow, by
 * tokens, tokenizing only the lines near the hole), so there is no second, rougher cut here. The
 * document is its reuseKey: a completion may start from the keys and values of this file's earlier
 * requests (and its prefill), never another's.
 */
export function inlineRequest(text: string, cursor: number, settings: ExtensionSettings, uri: string): { request: InfillRequest; options: InfillOptions } {
  const request = { text, holes: [{ start: cursor, end: cursor, singleLine: codeFollowsOnLine(text, cursor) }] };
  return { request, options: { ...settings.sampler, defaultHoleTokens: settings.inline.holeTokens, reuseKey: uri } };
}
