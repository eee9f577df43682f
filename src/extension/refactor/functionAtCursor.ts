import * as vscode from 'vscode';
import { Span } from '../../core';
import { FunctionParts, functionByLayout, innermostFunction, splitFunction, SymbolSpan } from './functionRange';

const FUNCTION_KINDS = new Set([vscode.SymbolKind.Function, vscode.SymbolKind.Method, vscode.SymbolKind.Constructor]);

/** How long to wait for a language server's symbols before using the layout rules. */
const SYMBOL_WAIT_MS = 1500;

export interface FoundFunction extends FunctionParts {
  /** Where the function's extent came from, for the log. */
  from: 'symbols' | 'layout';
}

/**
 * The function around the cursor: the innermost function symbol of the language server when one
 * answers, else the indentation and bracket rules of functionRange.ts.
 */
export async function functionAtCursor(document: vscode.TextDocument, position: vscode.Position): Promise<FoundFunction | undefined> {
  const text = document.getText();
  const offset = document.offsetAt(position);
  const symbols = await documentSymbols(document);
  const symbolSpan = symbols ? innermostFunction(symbols, offset) : undefined;
  if (symbolSpan) {
    const parts = splitFunction(text, symbolSpan);
    if (parts) return { ...parts, from: 'symbols' };
  }
  const layout = functionByLayout(text, offset);
  const parts = layout && splitFunction(text, layout);
  return parts ? { ...parts, from: 'layout' } : undefined;
}

async function documentSymbols(document: vscode.TextDocument): Promise<SymbolSpan[] | undefined> {
  const request = Promise.resolve(
    vscode.commands.executeCommand<(vscode.DocumentSymbol | vscode.SymbolInformation)[] | undefined>('vscode.executeDocumentSymbolProvider', document.uri),
  ).catch(() => undefined);
  // A language server that is still starting must not hold the command up.
  const timeout = new Promise<undefined>((resolve) => setTimeout(() => resolve(undefined), SYMBOL_WAIT_MS));
  const symbols = await Promise.race([request, timeout]);
  if (!symbols || symbols.length === 0) return undefined;
  const span = (range: vscode.Range): Span => ({ start: document.offsetAt(range.start), end: document.offsetAt(range.end) });
  const convert = (s: vscode.DocumentSymbol | vscode.SymbolInformation): SymbolSpan =>
    'children' in s
      ? { ...span(s.range), isFunction: FUNCTION_KINDS.has(s.kind), children: s.children.map(convert) }
      : { ...span(s.location.range), isFunction: FUNCTION_KINDS.has(s.kind), children: [] };
  return symbols.map(convert);
}
