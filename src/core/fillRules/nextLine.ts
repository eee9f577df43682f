/**
 * The first line after the hole's own line that is not blank: the code a fill at the hole runs
 * into. Undefined when only blank lines follow.
 */
export function nextCodeLine(after: string): string | undefined {
  const lines = after.split(/\r?\n/).slice(1);
  return lines.find((l) => l.trim() !== '');
}
