/** Characters a token of code spans, roughly: only to size what an endpoint is sent. */
export const CHARS_PER_TOKEN = 4;

/**
 * The text an OpenAI-compatible endpoint is sent around a hole. Its tokenizer is not here, so the
 * canvas cannot be fitted by tokens (canvas.ts fitWindow) as a model here or behind `serve` is:
 * `contextTokens` bounds it in characters instead, three quarters before the hole, where most of
 * the signal is, each side cut at a whole line. Without `contextTokens` the endpoint gets it all.
 */
export function charWindow(prefix: string, suffix: string, contextTokens: number | undefined): { prefix: string; suffix: string } {
  if (contextTokens === undefined) return { prefix, suffix };
  const maxChars = contextTokens * CHARS_PER_TOKEN;
  let start = Math.max(0, prefix.length - Math.floor(maxChars * 0.75));
  let end = Math.min(suffix.length, maxChars - (prefix.length - start));
  // Whole lines, so that the endpoint never reads half an identifier at the edge.
  if (start > 0) {
    const nl = prefix.indexOf('\n', start);
    if (nl !== -1) start = nl + 1;
  }
  if (end < suffix.length) {
    const nl = suffix.lastIndexOf('\n', end);
    if (nl >= 0) end = nl;
  }
  return { prefix: prefix.slice(start), suffix: suffix.slice(0, end) };
}
