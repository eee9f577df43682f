/**
 * A fill less the blanks it ends lines with: spaces and tabs before each of its line breaks, and,
 * where the document ends the hole's line itself (a line break, or the end of the text, after
 * the hole), the blank lines and spaces the fill ends with; but where the text the hole replaces
 * ended with a line break (a selection of whole lines), the fill's own takes its place and stays.
 * Before a closing bracket, `;` or `,` the spaces after its last code come off too (`f(a, b )`),
 * not the indentation of a line it ends on (the `}` after it closes there); before anything else
 * they may separate two words, and stay.
 */
export function withoutTrailingWhitespace(fill: string, after: string, replaced = ''): string {
  const text = fill.replace(/[ \t]+(?=\r?\n)/g, '');
  if (/[\r\n]$/.test(replaced)) return text;
  if (after === '' || /^\r?\n/.test(after)) return text.replace(/\s+$/, '');
  if (/^[)\]};,]/.test(after)) return text.replace(/(?<=\S)[ \t]+$/, '');
  return text;
}
