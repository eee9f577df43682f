/**
 * The fill of a single-line hole: up to its first line break, where its line ended. The sampler
 * ends such a hole at a line break (HoleRules); this cuts what an engine wrote past it, as a
 * fill-in-the-middle endpoint does, which cannot be told to stop there.
 */
export function singleLineFill(text: string): string {
  return text.split(/\r\n|\r|\n/, 1)[0];
}
