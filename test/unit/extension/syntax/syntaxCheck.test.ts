import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { flawOf, SYNTAX_WASM_FILES, SyntaxChecker } from '../../../../src/extension/syntax/syntaxCheck';

/** The folder the build fills and the .vsix ships (esbuild.mjs): the test reads what a user gets. */
const WASM = path.resolve(__dirname, '../../../../../dist/syntax');

const HYPOTENUSE = 'import math\n\ndef hypotenuse(a, b):\n    squares = a * a + b * b\n    return math.sqrt(squares)\n\nprint(hypotenuse(3, 4))\n';
const TWICE = 'def twice(x):\n    return x * 2\n\nprint(twice(2))\n';

describe('the syntax check of a proposal (tree-sitter)', () => {
  const checker = new SyntaxChecker(WASM);

  it('ships every grammar it names, and the runtime', () => {
    for (const file of SYNTAX_WASM_FILES) assert.ok(fs.existsSync(path.join(WASM, file)), `dist/syntax/${file} (npm run build copies it)`);
  });

  it('passes a proposal that parses as well as the original', async () => {
    const proposal = HYPOTENUSE.replace('squares = a * a + b * b', 'squares = a ** 2 + b ** 2');
    assert.deepEqual(await checker.check('python', HYPOTENUSE, proposal), { checked: true, addedErrors: 0, errorLine: undefined, emptiedBodies: 0 });
  });

  it('finds syntax errors a Repair added, with the line of the first', async () => {
    const proposal = HYPOTENUSE.replace('return math.sqrt(squares)', 'return math.sqrt(squares');
    const verdict = await checker.check('python', HYPOTENUSE, proposal);
    assert.ok(verdict.addedErrors > 0, JSON.stringify(verdict));
    assert.ok(verdict.errorLine !== undefined && verdict.errorLine >= 5, `error at line ${verdict.errorLine}`);
  });

  it('finds a body emptied: `return x * 2` gone in Python, `{}` for a TypeScript function', async () => {
    const python = await checker.check('python', TWICE, 'def twice(x):\n\nprint(twice(2))\n');
    assert.equal(python.emptiedBodies, 1, JSON.stringify(python));
    const pass = await checker.check('python', TWICE, 'def twice(x):\n    pass\n\nprint(twice(2))\n');
    assert.equal(pass.emptiedBodies, 1, '`pass` is no code');
    const ts = 'export function area(r: number): number {\n  return Math.PI * r * r;\n}\n';
    const rewritten = await checker.check('typescript', ts, 'export function area(r: number): number {}\n');
    assert.deepEqual([rewritten.addedErrors, rewritten.emptiedBodies], [0, 1]);
    const commented = await checker.check('javascript', 'function f() {\n  return 1;\n}\n', 'function f() {\n  // TODO\n}\n');
    assert.equal(commented.emptiedBodies, 1, 'a comment is no code');
  });

  it('does not count an arrow function with an expression body, or a body the original had empty already', async () => {
    const arrow = await checker.check('javascript', 'const f = (x) => {\n  return x;\n};\n', 'const f = (x) => x;\n');
    assert.equal(arrow.emptiedBodies, 0);
    const stub = await checker.check('python', 'def f():\n    pass\n', 'def f():\n    pass\n');
    assert.equal(stub.emptiedBodies, 0);
  });

  it('checks nothing in a language it has no grammar for', async () => {
    assert.deepEqual(await checker.check('plaintext', 'a', 'b('), { checked: false, addedErrors: 0, emptiedBodies: 0 });
  });

  it('loads every grammar it names', async () => {
    for (const language of [
      'javascript',
      'typescript',
      'typescriptreact',
      'java',
      'go',
      'rust',
      'cpp',
      'csharp',
      'ruby',
      'php',
      'shellscript',
      'powershell',
      'css',
    ]) {
      const verdict = await checker.check(language, '', '');
      assert.equal(verdict.checked, true, language);
    }
  });
});

describe('what the syntax check says is wrong', () => {
  it('names the errors and their first line, and an emptied body, in words', () => {
    assert.equal(flawOf({ checked: true, addedErrors: 0, emptiedBodies: 0 }), undefined);
    assert.equal(flawOf({ checked: true, addedErrors: 1, errorLine: 4, emptiedBodies: 0 }), 'adds a syntax error (on line 4)');
    assert.equal(
      flawOf({ checked: true, addedErrors: 3, errorLine: 2, emptiedBodies: 1 }),
      'adds 3 syntax errors (first on line 2) and empties a function body',
    );
  });
});
