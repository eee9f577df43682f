import { unclosed } from '../fillRules/repeatedLineSuffix';
import { HoleContext } from './holeByHole';

/**
 * Chat models have no fill-in-the-middle format, so the hole is a marker in the text they are
 * shown. A plain-text marker: `<|...|>` spellings may be special tokens in the served tokenizer.
 */
export const FILL_MARKER = '{{FILL_HERE}}';

const SYSTEM = [
  `You fill holes in code. The user sends a file in which ${FILL_MARKER} marks a hole.`,
  `Reply with only the code that replaces ${FILL_MARKER}, in one fenced code block:`,
  'no explanation, and none of the code before or after the hole.',
].join(' ');

/** The chat messages that ask for one hole's text. */
export function chatMessages(context: HoleContext): { role: 'system' | 'user'; content: string }[] {
  const file = context.prefix + FILL_MARKER + context.suffix;
  const fence = fenceFor(file + context.current);
  const ask = [`Fill ${FILL_MARKER} in this file (about ${context.budget} tokens at most${context.hole.singleLine ? ', on one line' : ''}).`];
  if (context.current) ask.push(`The hole now holds this text, which your answer replaces:\n${fence}\n${context.current}\n${fence}`);
  ask.push(`${fence}\n${file}\n${fence}`);
  return [
    { role: 'system', content: SYSTEM },
    { role: 'user', content: ask.join('\n\n') },
  ];
}

/** A backtick fence longer than any run of backticks in the text, so the text cannot close it. */
function fenceFor(text: string): string {
  const longest = Math.max(2, ...[...text.matchAll(/`+/g)].map((m) => m[0].length));
  return '`'.repeat(longest + 1);
}

/**
 * The hole's text in a chat answer, complete or still streaming: reasoning left out, the first
 * code block's body (or the whole answer when it has none), and the code around the hole taken
 * off when the model repeated it.
 */
export function holeFromAnswer(raw: string, context: Pick<HoleContext, 'prefix' | 'suffix'>): string {
  let text = withoutReasoning(raw);
  text = codeBlock(text).split(FILL_MARKER).join('');
  const [rest, repeated] = withoutEchoedPrefix(text, context.prefix);
  // A model that repeated the code before the hole wrote whole lines: the rest of the line is a
  // repeat too, however short (";").
  return withoutEchoedSuffix(rest, context.suffix, repeated);
}

/**
 * Reasoning the server did not separate out (no reasoning parser): `<think>` blocks, and
 * DiffusionGemma's `<|channel>thought ... <channel|>`. An unclosed block is still thinking.
 */
function withoutReasoning(text: string): string {
  return text.replace(/<think>[\s\S]*?(?:<\/think>|$)/g, '').replace(/<\|channel>thought[\s\S]*?(?:<channel\|>|$)/g, '');
}

function codeBlock(text: string): string {
  const open = /(?:^|\n)[ \t]*(`{3,}|~{3,})[^\n`]*(\n|$)/.exec(text);
  if (!open) return text.replace(/^(?:[ \t]*\r?\n)+/, '').replace(/\s+$/, '');
  // The opening line has not ended yet (a stream cut after "```py"): nothing of the body so far.
  if (open[2] === '') return '';
  const body = text.slice(open.index + open[0].length);
  const close = new RegExp(`(?:^|\\n)[ \\t]*${open[1][0] === '`' ? '`' : '~'}{${open[1].length},}[ \\t]*(?:\\n|$)`).exec(body);
  if (close) return body.slice(0, close.index);
  // Still streaming: drop a closing fence that has begun to arrive.
  return body.replace(/\n[ \t]*[`~]{1,}[ \t]*$/, '').replace(/\r?\n$/, '');
}

/**
 * Takes off the end of the prefix when the answer starts with it: exactly from a line start on,
 * else as whole lines whatever their whitespace. A hole at the start of an indented line gets the
 * answer re-indented to it (chat models often write code at column 0).
 */
function withoutEchoedPrefix(text: string, prefix: string): [rest: string, repeated: boolean] {
  const line = prefix.slice(prefix.lastIndexOf('\n') + 1);
  let from = prefix.length - line.length;
  // The longest repeated tail first; 50 lines back is more than a model repeats. A repeat of
  // fewer than 3 characters ("}") may be the fill's own start.
  const starts: number[] = [];
  for (let n = 0; n < 50 && from >= 0; n++) {
    starts.push(from);
    if (from === 0) break;
    from = from >= 2 ? prefix.lastIndexOf('\n', from - 2) + 1 : 0;
  }
  for (const start of starts.reverse()) {
    const tail = prefix.slice(start);
    if (squeeze(tail).length >= 3 && text.startsWith(tail)) return [text.slice(tail.length), true];
  }
  const before = prefix.split('\n').slice(0, -1);
  const lines = text.split('\n');
  for (let n = Math.min(before.length, lines.length - 1, 50); n >= 1; n--) {
    const repeated = before.slice(before.length - n);
    if (squeeze(repeated.join('')).length >= 3 && repeated.every((l, i) => squeeze(l) === squeeze(lines[i])))
      return [withoutCurrentLine(lines.slice(n).join('\n'), line)[0], true];
  }
  return withoutCurrentLine(text, line);
}

/**
 * The answer with the start of the hole's line taken off (repeated: whether it had it), or
 * re-indented to the hole when the line holds only indentation.
 */
function withoutCurrentLine(text: string, line: string): [rest: string, repeated: boolean] {
  const indent = leading(text);
  const bare = line.trimStart();
  if (bare) return text.startsWith(bare, indent.length) ? [text.slice(indent.length + bare.length), true] : [text, false];
  if (!line) return [text, false];
  // The prefix gives the first line its indentation. The others move by as much as it did,
  // unless they already sit at the hole's depth or deeper (written at the file's indentation).
  const [first, ...rest] = text.slice(indent.length).split('\n');
  const solid = rest.filter((l) => l.trim());
  const absolute = indent.length < line.length && solid.length > 0 && solid.every((l) => leading(l).length >= line.length);
  const shift = absolute ? 0 : line.length - indent.length;
  const moved = rest.map((l) => (!l.trim() ? l : shift >= 0 ? line.slice(0, shift) + l : l.slice(Math.min(-shift, leading(l).length))));
  return [[first, ...moved].join('\n'), false];
}

function leading(text: string): string {
  return /^[ \t]*/.exec(text)![0];
}

/**
 * Takes off the start of the suffix when the answer ends with it: exactly up to a line end, else
 * as whole lines whatever their whitespace (then the rest of the hole's line too).
 */
function withoutEchoedSuffix(text: string, suffix: string, wholeLines: boolean): string {
  const ends: number[] = [];
  for (let i = suffix.indexOf('\n'); i !== -1 && ends.length < 50; i = suffix.indexOf('\n', i + 1)) ends.push(i);
  if (ends.length < 50) ends.push(suffix.length);
  const body = text.trimEnd();
  // A short repeat such as ")" or "}" is only taken off when the answer repeated whole lines or
  // has a closing bracket too many: it may be the fill's own.
  const repeatTaken = (solid: number) => solid >= 3 || wholeLines || unclosed(body) < 0;
  for (const end of ends.reverse()) {
    const head = suffix.slice(0, end).trimEnd();
    const solid = squeeze(head).length;
    if (solid > 0 && body.endsWith(head) && repeatTaken(solid)) return body.slice(0, body.length - head.length).trimEnd();
  }
  const [restOfLine, ...after] = suffix.split('\n');
  const lines = body.split('\n');
  for (let m = Math.min(after.length, lines.length - 1, 50); m >= 1; m--) {
    const repeated = after.slice(0, m);
    const solid = squeeze(repeated.join('')).length;
    if (solid === 0 || !repeated.every((l, i) => squeeze(l) === squeeze(lines[lines.length - m + i])) || !repeatTaken(solid)) continue;
    const kept = lines
      .slice(0, lines.length - m)
      .join('\n')
      .trimEnd();
    const rest = restOfLine.trim();
    return rest && kept.endsWith(rest) ? kept.slice(0, kept.length - rest.length).trimEnd() : kept;
  }
  return text;
}

function squeeze(text: string): string {
  return text.replace(/\s+/g, '');
}
