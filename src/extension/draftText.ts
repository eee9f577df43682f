/**
 * A draft as one line of decoration text: decorations cannot show line breaks, so each becomes
 * a visible return sign; still-masked positions keep the engine's placeholder.
 */
export function draftAsOneLine(text: string, maxChars = 400): string {
  const line = text.replace(/\r?\n/g, ' ⏎ ').replace(/\t/g, '  ');
  return line.length > maxChars ? line.slice(0, maxChars - 1) + '…' : line;
}
