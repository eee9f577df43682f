import * as assert from 'node:assert/strict';
import { functionByLayout, innermostFunction, splitFunction, SymbolSpan } from '../../../../src/extension/refactor/functionRange';
import { parseRefactorSettings } from '../../../../src/extension/refactor/refactorSettings';

/** The text of a span. */
const slice = (text: string, span: { start: number; end: number } | undefined) => (span ? text.slice(span.start, span.end) : undefined);

describe('refactor: the function around the cursor without a language server', () => {
  const ts = [
    'import x from "y";',
    '',
    'export async function outer(a: number, b: { c: string }): Promise<number> {',
    '  const s = "not } a brace";',
    '  // nor is this }',
    '  const inner = (n: number) => {',
    '    return n * 2;',
    '  };',
    '  if (a > 0) {',
    '    return inner(a);',
    '  }',
    '  return 0;',
    '}',
    '',
    'const after = 1;',
    '',
  ].join('\n');

  it('finds a brace function, its body between the braces, skipping braces in strings and comments', () => {
    const at = ts.indexOf('return 0');
    const fn = functionByLayout(ts, at);
    assert.equal(slice(ts, fn), ts.slice(ts.indexOf('export async'), ts.indexOf('}\n\nconst after') + 1));
    const parts = splitFunction(ts, fn!);
    assert.ok(parts);
    assert.equal(ts.slice(parts.whole.start, parts.body.start), 'export async function outer(a: number, b: { c: string }): Promise<number> {');
    assert.equal(ts.slice(parts.body.end, parts.whole.end), '}');
  });

  it('takes the innermost function: an arrow function inside another, not the if block', () => {
    const fn = functionByLayout(ts, ts.indexOf('n * 2'));
    assert.equal(slice(ts, fn), 'const inner = (n: number) => {\n    return n * 2;\n  }', 'from the start of the header line');
    const inIf = functionByLayout(ts, ts.indexOf('inner(a)'));
    assert.ok(slice(ts, inIf)?.startsWith('export async function outer'));
  });

  it('finds nothing outside every function', () => {
    assert.equal(functionByLayout(ts, ts.indexOf('const after')), undefined);
    assert.equal(functionByLayout(ts, 0), undefined);
  });

  const py = [
    'class Account:',
    '    def deposit(self, amount: dict[str, int]) -> None:  # adds',
    '        if amount:',
    '            self.total += amount',
    '',
    '        return None',
    '',
    '    def withdraw(self, amount):',
    '        self.total -= amount',
    '',
    'print("done")',
    '',
  ].join('\n');

  it('finds a Python method by indentation: the body is the indented block, trailing blank lines and its last line break left out', () => {
    const fn = functionByLayout(py, py.indexOf('self.total +='));
    const parts = splitFunction(py, fn!);
    assert.ok(parts);
    assert.equal(py.slice(parts.whole.start, parts.body.start), 'def deposit(self, amount: dict[str, int]) -> None:  # adds\n');
    assert.equal(slice(py, parts.body), '        if amount:\n            self.total += amount\n\n        return None');
    const second = functionByLayout(py, py.indexOf('self.total -='));
    assert.equal(slice(py, second), 'def withdraw(self, amount):\n        self.total -= amount');
    // The last function of a file: the file's final line break is not the function's.
    const last = 'def f():\n    return 1\n';
    assert.equal(splitFunction(last, functionByLayout(last, last.indexOf('return'))!)!.whole.end, last.length - 1);
  });

  it('prefers the innermost function symbol when a language server answers', () => {
    const symbols: SymbolSpan[] = [
      {
        start: 0,
        end: 100,
        isFunction: false,
        children: [{ start: 10, end: 90, isFunction: true, children: [{ start: 20, end: 30, isFunction: true, children: [] }] }],
      },
      { start: 100, end: 120, isFunction: false, children: [] },
    ];
    assert.deepEqual(innermostFunction(symbols, 25), { start: 20, end: 30 });
    assert.deepEqual(innermostFunction(symbols, 50), { start: 10, end: 90 });
    assert.equal(innermostFunction(symbols, 110), undefined);
  });

  it('reads diffusionInfill.refactor.repairTokens, clamping it and ignoring a wrong type', () => {
    assert.equal(parseRefactorSettings(() => undefined).repairTokens, 8);
    assert.equal(parseRefactorSettings(() => 'many').repairTokens, 8);
    assert.equal(parseRefactorSettings(() => 0).repairTokens, 1);
    assert.equal(parseRefactorSettings(() => 20.4).repairTokens, 20);
  });
});
