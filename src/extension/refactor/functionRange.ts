import type { Span } from '../../core';

/**
 * Finding "the function around the cursor" and splitting it into signature and body, on plain
 * text: no `vscode` here, so that the rules can be unit-tested. The language server's symbols
 * are preferred (see functionAtCursor.ts); these rules answer when no server does.
 */

/** A document symbol reduced to what matters here. */
export interface SymbolSpan extends Span {
  isFunction: boolean;
  children: SymbolSpan[];
}

export interface FunctionParts {
  /** The whole function, signature included. */
  whole: Span;
  /** The part a refactor replaces: inside the braces, or the indented block after the colon. */
  body: Span;
}

/** The innermost function symbol that contains the offset. */
export function innermostFunction(symbols: SymbolSpan[], offset: number): Span | undefined {
  let found: Span | undefined;
  const visit = (list: SymbolSpan[]) => {
    for (const s of list) {
      if (offset < s.start || offset > s.end) continue;
      if (s.isFunction) found = { start: s.start, end: s.end };
      visit(s.children);
    }
  };
  visit(symbols);
  return found;
}

// A line that starts a function in the common languages: a keyword form (def, function, fn, func,
// fun, sub), or a header that ends in an opening brace after a parameter list (methods, arrows).
const KEYWORD_HEADER =
  /^\s*(?:(?:export|default|public|private|protected|internal|static|async|pub(?:\([^)]*\))?|unsafe|extern|override|final|abstract|inline|suspend|const)\s+)*(?:def|function\*?|fn|func|fun|sub)\b/;
const BRACE_HEADER = /\)\s*(?:(?:->|:)\s*[^{;=]*)?(?:=>\s*)?\{\s*(?:\/\/.*)?$|=>\s*\{\s*$/;
const NOT_A_FUNCTION = /^\s*\}?\s*(?:if|else|for|while|switch|catch|do|try|with|return)\b/;

/**
 * The function around `offset` without a language server: walks up from the cursor's line to
 * each line that looks like a function header and takes the first whose extent (matching brace,
 * or the indented block under it) contains the cursor; so the innermost function wins.
 */
export function functionByLayout(text: string, offset: number): Span | undefined {
  const lines = lineStarts(text);
  const cursorLine = lineAt(lines, offset);
  for (let line = cursorLine; line >= 0; line--) {
    const start = lines[line];
    const lineText = text.slice(start, lineEnd(text, start));
    if (NOT_A_FUNCTION.test(lineText) || !(KEYWORD_HEADER.test(lineText) || BRACE_HEADER.test(lineText))) continue;
    const headerStart = start + (lineText.length - lineText.trimStart().length);
    const parts = splitFunction(text, { start: headerStart, end: text.length });
    if (!parts) continue;
    if (offset >= parts.whole.start && offset <= parts.whole.end) return parts.whole;
  }
  return undefined;
}

/**
 * Signature and body of a function that starts at `fn.start` (it may end anywhere up to
 * `fn.end`): the first `{` or line-ending `:` outside brackets opens the body. A brace body is
 * everything between the braces; a colon body is the block of lines indented deeper than the
 * signature's first line, trailing blank lines and its last line break left out.
 */
export function splitFunction(text: string, fn: Span): FunctionParts | undefined {
  let depth = 0;
  for (let i = fn.start; i < fn.end; i++) {
    const c = text[i];
    const skipped = skipLiteral(text, i, fn.end);
    if (skipped !== i) {
      i = skipped - 1;
      continue;
    }
    if (c === '(' || c === '[') depth++;
    else if (c === ')' || c === ']') depth = Math.max(0, depth - 1);
    else if (depth === 0 && c === '{') {
      const close = matchingBrace(text, i, fn.end);
      if (close === undefined) return undefined;
      return { whole: { start: fn.start, end: close + 1 }, body: { start: i + 1, end: close } };
    } else if (depth === 0 && c === ':' && /^[ \t]*(?:#.*)?(?:\r?\n|$)/.test(text.slice(i + 1, lineEnd(text, i + 1) + 1))) {
      const bodyStart = lineEnd(text, i) + 1;
      if (bodyStart > text.length) return undefined;
      const indent = indentOf(text, lineStartOf(text, fn.start));
      let end = bodyStart;
      let at = bodyStart;
      while (at < Math.min(text.length, fn.end)) {
        const next = lineEnd(text, at);
        const line = text.slice(at, next);
        if (line.trim() !== '') {
          if (indentOf(text, at) <= indent) break;
          // The line break after the block stays outside it: a rewrite that ends without one
          // must not join the function to what follows or take the file's last newline.
          end = next;
        }
        at = next + 1;
      }
      if (end === bodyStart) return undefined;
      return { whole: { start: fn.start, end }, body: { start: bodyStart, end } };
    }
  }
  return undefined;
}

/** The index of the `}` that closes the `{` at `open`, skipping strings and comments. */
function matchingBrace(text: string, open: number, limit: number): number | undefined {
  let depth = 0;
  for (let i = open; i < Math.min(limit, text.length); i++) {
    const skipped = skipLiteral(text, i, limit);
    if (skipped !== i) {
      i = skipped - 1;
      continue;
    }
    if (text[i] === '{') depth++;
    else if (text[i] === '}' && --depth === 0) return i;
  }
  return undefined;
}

/** Past a string or comment that starts at i (or i itself when none does). */
function skipLiteral(text: string, i: number, limit: number): number {
  const c = text[i];
  const two = text.slice(i, i + 2);
  if (two === '//' || c === '#') return lineEnd(text, i);
  if (two === '/*') {
    const end = text.indexOf('*/', i + 2);
    return end === -1 ? limit : end + 2;
  }
  if (c === '"' || c === "'" || c === '`') {
    const triple = text.slice(i, i + 3) === c.repeat(3) ? c.repeat(3) : c;
    for (let j = i + triple.length; j < Math.min(limit, text.length); j++) {
      if (text[j] === '\\') j++;
      else if (text.startsWith(triple, j)) return j + triple.length;
      else if (triple.length === 1 && c !== '`' && text[j] === '\n') return j;
    }
    return limit;
  }
  return i;
}

function lineStarts(text: string): number[] {
  const starts = [0];
  for (let i = text.indexOf('\n'); i !== -1; i = text.indexOf('\n', i + 1)) starts.push(i + 1);
  return starts;
}

function lineAt(starts: number[], offset: number): number {
  let line = 0;
  while (line + 1 < starts.length && starts[line + 1] <= offset) line++;
  return line;
}

function lineEnd(text: string, from: number): number {
  const end = text.indexOf('\n', from);
  return end === -1 ? text.length : end;
}

function lineStartOf(text: string, offset: number): number {
  return text.lastIndexOf('\n', offset - 1) + 1;
}

function indentOf(text: string, lineStart: number): number {
  let n = 0;
  while (text[lineStart + n] === ' ' || text[lineStart + n] === '\t') n++;
  return n;
}
