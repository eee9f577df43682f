/**
 * A fill less the space it writes where the document already has one: `return <hole>` filled with
 * ` 0` would read `return  0`. Only horizontal space next to code on the hole's own line comes off;
 * indentation at the start of a line is left to the fill.
 */
export function withoutDoubledSpaces(fill: string, before: string, after: string): string {
  const lineBefore = before.slice(before.lastIndexOf('\n') + 1);
  let text = fill;
  if (/\S[ \t]+$/.test(lineBefore)) text = text.replace(/^[ \t]+(?=\S)/, '');
  if (/^[ \t]/.test(after)) text = text.replace(/(?<=\S)[ \t]+$/, '');
  return text;
}
