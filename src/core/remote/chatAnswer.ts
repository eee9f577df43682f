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
  const bare = withoutEchoedPrefix(text, context.prefix);
  // A model that repeated the code before the hole wrote whole lines: the rest of the line is a
  // repeat too, however short (";").
  return withoutEchoedSuffix(bare, context.suffix, bare !== text);
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

/** Takes off the end of the prefix when the answer starts with it (from a line start on). */
function withoutEchoedPrefix(text: string, prefix: string): string {
  const line = prefix.slice(prefix.lastIndexOf('\n') + 1);
  let from = prefix.length - line.length;
  // The longest repeated tail first; 50 lines back is more than a model repeats.
  const starts: number[] = [];
  for (let n = 0; n < 50 && from >= 0; n++) {
    starts.push(from);
    if (from === 0) break;
    from = from >= 2 ? prefix.lastIndexOf('\n', from - 2) + 1 : 0;
  }
  for (const start of starts.reverse()) {
    const tail = prefix.slice(start);
    if (tail.trim() && text.startsWith(tail)) return text.slice(tail.length);
  }
  // The current line repeated without its indentation, or the indentation alone.
  const bare = line.trimStart();
  if (bare && text.startsWith(bare)) return text.slice(bare.length);
  if (line && !bare && text.startsWith(line)) return text.slice(line.length);
  return text;
}

/** Takes off the start of the suffix when the answer ends with it (up to a line end). */
function withoutEchoedSuffix(text: string, suffix: string, wholeLines: boolean): string {
  const ends: number[] = [];
  for (let i = suffix.indexOf('\n'); i !== -1 && ends.length < 50; i = suffix.indexOf('\n', i + 1)) ends.push(i);
  if (ends.length < 50) ends.push(suffix.length);
  const body = text.trimEnd();
  for (const end of ends.reverse()) {
    const head = suffix.slice(0, end).trimEnd();
    const solid = head.replace(/\s/g, '').length;
    if (solid === 0 || !body.endsWith(head)) continue;
    // A short repeat such as ")" is only taken off when it leaves the brackets balanced better.
    if (solid >= 3 || wholeLines || unclosed(body) < 0) return body.slice(0, body.length - head.length).trimEnd();
  }
  return text;
}

/** Openers minus closers among ( [ {. */
function unclosed(text: string): number {
  let n = 0;
  for (const c of text) {
    if (c === '(' || c === '[' || c === '{') n++;
    else if (c === ')' || c === ']' || c === '}') n--;
  }
  return n;
}
