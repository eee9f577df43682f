import * as assert from 'node:assert/strict';
import { codeFollowsOnLine } from '../../../../src/core';
import { cleanFill } from '../../../../src/core/fillRules';
import { resultEvent } from '../../../../src/core/result';

const FIGURES = { model: 'm', device: 'cpu', steps: 1, canvasTokens: 1, maskedTokens: 1, seed: 0, started: 0 };

/** The result of one cursor hole at `|` of `document`, single-line where code follows it, as the editor asks. */
function fillAt(document: string, fill: string): string {
  const at = document.indexOf('|');
  const text = document.replace('|', '');
  const hole = { start: at, end: at, singleLine: codeFollowsOnLine(text, at) };
  return resultEvent({ text, holes: [hole] }, [{ text: fill }], FIGURES).holes[0].text;
}

describe('the fill rules, in order, in every result', () => {
  it('keeps a clean fill as it is, less the blanks it ends with', () => {
    assert.equal(fillAt('function f(a, b) {\n  return |\n}', 'a + b;  \n\n'), 'a + b;');
  });

  it('keeps only the first line where code follows the hole on its line, less the closing text it repeats', () => {
    assert.equal(fillAt('add(|);\n', 'a, b);\nconsole.log(1)'), 'a, b');
  });

  it('stops where the fill starts writing the code after the hole', () => {
    const fill = 'const sum = a + b;\n  return sum;\n}\n\nfunction sub() {';
    assert.equal(fillAt('function add(a, b) {\n  |\n}\n\nfunction sub() {\n}\n', fill), 'const sum = a + b;\n  return sum;');
  });

  it('gives nothing for a fill that only repeats the next line, or is blank', () => {
    assert.equal(fillAt('function f(x) {\n|\n  return x;\n}', '  return x;'), '');
    assert.equal(fillAt('x = |\n', ' \n\t\n'), '');
  });

  it('cuts a line repeated over and over, and the space the document already has', () => {
    assert.equal(fillAt('a\n|\nb', 'x()\nx()\nx()\nx()'), 'x()');
    assert.equal(fillAt('return |;', ' 0'), '0');
  });

  it("leaves a repair's runs inside code to the rules on the fill alone: the code after a run is the user's", () => {
    const text = 'a = 1;\n\nb = 2\n';
    const run = { start: 5, end: 6, tokens: 1 };
    assert.equal(cleanFill(';\n', run, text, true), ';\n', 'the line break the run was decided as stays');
    assert.equal(cleanFill(';\n', run, text), ';', 'where the hole is a fill, the document ends the line itself');
  });
});
