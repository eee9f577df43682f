import * as fs from 'node:fs';
import * as path from 'node:path';
import { Language, Node, Parser } from '@vscode/tree-sitter-wasm';

/**
 * Whether a proposed text breaks what the document had: parsed with tree-sitter (the grammars
 * VS Code itself ships, as wasm files bundled beside the extension: scripts/package.mjs), the
 * proposal must not have more syntax errors than the text it came from, nor fewer function bodies
 * with code in them. No `vscode` here: unit-tested in Node on the same wasm files.
 */
export interface SyntaxVerdict {
  /** False where no grammar is shipped for the language: nothing was checked. */
  checked: boolean;
  /** Syntax errors (ERROR and MISSING nodes) the proposal has beyond the original's. */
  addedErrors: number;
  /** 1-based line of the proposal's first syntax error, where it added any. */
  errorLine?: number;
  /** Function bodies with code in the original that have none in the proposal (`{}`, `pass`, nothing). */
  emptiedBodies: number;
}

/** VS Code language id -> grammar file in the wasm folder. */
const GRAMMARS: Record<string, string> = {
  python: 'python',
  javascript: 'javascript',
  javascriptreact: 'javascript',
  typescript: 'typescript',
  typescriptreact: 'tsx',
  java: 'java',
  go: 'go',
  rust: 'rust',
  c: 'cpp',
  cpp: 'cpp',
  csharp: 'c-sharp',
  ruby: 'ruby',
  php: 'php',
  shellscript: 'bash',
  powershell: 'powershell',
  css: 'css',
};

/** The grammar files the checker loads (and scripts/package.mjs ships), with the runtime's own. */
export const SYNTAX_WASM_FILES = ['tree-sitter.wasm', ...new Set(Object.values(GRAMMARS).map((g) => `tree-sitter-${g}.wasm`))];

export function hasGrammar(languageId: string): boolean {
  return languageId in GRAMMARS;
}

/** A syntax checker over one folder of wasm files; the runtime and each grammar load once, on first use. */
export class SyntaxChecker {
  private runtime: Promise<void> | undefined;
  private readonly languages = new Map<string, Promise<Language>>();

  constructor(private readonly wasmDir: string) {}

  async check(languageId: string, original: string, proposal: string): Promise<SyntaxVerdict> {
    const grammar = GRAMMARS[languageId];
    if (!grammar) return { checked: false, addedErrors: 0, emptiedBodies: 0 };
    const language = await this.language(grammar);
    const parser = new Parser();
    try {
      parser.setLanguage(language);
      const before = measure(parser, original);
      const after = measure(parser, proposal);
      const addedErrors = Math.max(0, after.errors.length - before.errors.length);
      return {
        checked: true,
        addedErrors,
        errorLine: addedErrors > 0 ? after.errors[0] + 1 : undefined,
        emptiedBodies: Math.max(0, before.bodiesWithCode - after.bodiesWithCode),
      };
    } finally {
      parser.delete();
    }
  }

  private language(grammar: string): Promise<Language> {
    let language = this.languages.get(grammar);
    if (!language) {
      this.runtime ??= Parser.init({ locateFile: (file: string) => path.join(this.wasmDir, file) });
      language = this.runtime.then(() => Language.load(fs.readFileSync(path.join(this.wasmDir, `tree-sitter-${grammar}.wasm`))));
      // A grammar that failed to load is tried again next time (the folder may have been repaired).
      language.catch(() => this.languages.delete(grammar));
      this.languages.set(grammar, language);
    }
    return language;
  }
}

/** The rows of a text's syntax errors, and how many function bodies hold code. */
function measure(parser: Parser, text: string): { errors: number[]; bodiesWithCode: number } {
  const tree = parser.parse(text);
  if (!tree) return { errors: [], bodiesWithCode: 0 };
  const errors: number[] = [];
  let bodiesWithCode = 0;
  const cursor = tree.walk();
  // Depth first over every node, without recursion: a long file nests deeply.
  for (let more = true; more;) {
    const node = cursor.currentNode;
    if (node.isError || node.isMissing) errors.push(node.startPosition.row);
    if (FUNCTION.test(node.type)) {
      const body = node.childForFieldName('body');
      if (body && holdsCode(body)) bodiesWithCode++;
    }
    if (cursor.gotoFirstChild()) continue;
    while (!cursor.gotoNextSibling()) {
      if (!cursor.gotoParent()) {
        more = false;
        break;
      }
    }
  }
  cursor.delete();
  tree.delete();
  return { errors, bodiesWithCode };
}

/** Node types of functions and methods across the shipped grammars (their body is the `body` field). */
const FUNCTION = /function|method|constructor|closure|lambda|func_literal/;
/** What a body may hold and still do nothing. */
const NOTHING = new Set(['comment', 'line_comment', 'block_comment', 'pass_statement', 'empty_statement']);

/**
 * A body holds code unless it is only brackets, separators, comments and `pass`: `{}`, `{ // todo }`,
 * Python's empty block. An arrow function's expression body (`x => x`) holds code.
 */
function holdsCode(body: Node): boolean {
  let rest = body.text;
  for (const child of body.namedChildren) {
    if (!child) continue;
    if (!NOTHING.has(child.type)) return true;
    rest = rest.replace(child.text, '');
  }
  return /[^\s{}();:]/.test(rest);
}

/** What is wrong with a proposal, in words ("adds 2 syntax errors (first on line 5)"), or undefined when nothing is. */
export function flawOf(verdict: SyntaxVerdict): string | undefined {
  const flaws: string[] = [];
  const n = verdict.addedErrors;
  if (n > 0) flaws.push(`adds ${n === 1 ? 'a syntax error' : `${n} syntax errors`} (${n === 1 ? '' : 'first '}on line ${verdict.errorLine})`);
  const e = verdict.emptiedBodies;
  if (e > 0) flaws.push(`empties ${e === 1 ? 'a function body' : `${e} function bodies`}`);
  return flaws.length ? flaws.join(' and ') : undefined;
}
