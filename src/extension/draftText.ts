import { MASK_PLACEHOLDER } from '../core';

/**
 * A draft as one line of decoration text: decorations cannot show line breaks, so each becomes
 * a visible return sign; still-masked positions keep the engine's placeholder.
 */
export function draftAsOneLine(text: string, maxChars = 400): string {
  const line = text.replace(/\r?\n/g, ' ⏎ ').replace(/\t/g, '  ');
  return line.length > maxChars ? line.slice(0, maxChars - 1) + '…' : line;
}

/** How many positions are still masked in a draft, for the status text. */
export function maskedCount(text: string): number {
  return text.split(MASK_PLACEHOLDER).length - 1;
}
