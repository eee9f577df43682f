import * as assert from 'node:assert/strict';
import { chatMessages, FILL_MARKER, holeFromAnswer, HoleContext } from '../../../../src/core/remote';

const context = (prefix: string, suffix: string, over: Partial<HoleContext> = {}): HoleContext => ({
  hole: { start: prefix.length, end: prefix.length },
  prefix,
  suffix,
  current: '',
  budget: 64,
  ...over,
});

describe('remote: the hole in a chat answer', () => {
  const add = context('def add(a, b):\n    ', '\n\nprint(add(1, 2))\n');

  it('takes the body of the first code block, whatever the fence and the words around it', () => {
    assert.equal(holeFromAnswer('```python\nreturn a + b\n```', add), 'return a + b');
    assert.equal(holeFromAnswer('Here is the code:\n\n```\nreturn a + b\n```\n\nThis adds the two numbers.', add), 'return a + b');
    assert.equal(holeFromAnswer('~~~py\nreturn a + b\n~~~\n', add), 'return a + b');
    assert.equal(holeFromAnswer('````\nx = "```"\n````', context('', '')), 'x = "```"', 'a longer fence holds a shorter one');
    assert.equal(holeFromAnswer('```python\nreturn a + b\n```\n```python\nprint(1)\n```', add), 'return a + b', 'only the first block');
  });

  it('without a code block, takes the answer without its surrounding blank lines', () => {
    assert.equal(holeFromAnswer('\n\nreturn a + b\n\n', add), 'return a + b');
    assert.equal(holeFromAnswer('', add), '');
  });

  it('reads a stream as it grows: nothing of an opening fence, no half-arrived closing fence', () => {
    assert.equal(holeFromAnswer('```pyth', add), '');
    assert.equal(holeFromAnswer('```python\n', add), '');
    assert.equal(holeFromAnswer('```python\nreturn a', add), 'return a');
    assert.equal(holeFromAnswer('```python\nreturn a + b\n', add), 'return a + b');
    assert.equal(holeFromAnswer('```python\nreturn a + b\n``', add), 'return a + b');
  });

  it('leaves out reasoning a server did not separate: <think> blocks and DiffusionGemma thought channels', () => {
    assert.equal(holeFromAnswer('<think>the sum of a and b</think>\n```python\nreturn a + b\n```', add), 'return a + b');
    assert.equal(holeFromAnswer('<think>still thinking about ```code', add), '', 'an unclosed block is still thinking');
    assert.equal(holeFromAnswer('<|channel>thought\nAdd them.<channel|>```python\nreturn a + b\n```', add), 'return a + b');
  });

  it('takes off the code before the hole when the model repeats it', () => {
    const line = context('def add(a, b):\n    return ', '\n');
    assert.equal(holeFromAnswer('```python\n    return a + b\n```', line), 'a + b', 'the current line, indented');
    assert.equal(holeFromAnswer('```python\nreturn a + b\n```', line), 'a + b', 'the current line without its indentation');
    assert.equal(holeFromAnswer('```python\ndef add(a, b):\n    return a + b\n```', line), 'a + b', 'several lines');
    assert.equal(holeFromAnswer('```python\n    return a + b\n```', add), 'return a + b', 'the indentation the line already has');
    const method = context('class A:\n    def f(self):\n        ', '\n');
    assert.equal(
      holeFromAnswer('```python\nclass A:\n  def f(self):\n    x = 1\n    return x\n```', method),
      'x = 1\n        return x',
      'repeated lines in other whitespace, the rest re-indented',
    );
    assert.equal(holeFromAnswer('```python\nx = 1\nreturn x\n```', method), 'x = 1\n        return x', 'code at column 0 moved to the hole');
    assert.equal(
      holeFromAnswer('```python\n            x = 1\n            return x\n```', method),
      'x = 1\n        return x',
      'code indented too far moved back',
    );
    const closed = context('if (a) {\n  b();\n}\n', '\n');
    assert.equal(holeFromAnswer('}\nc();', closed), '}\nc();', 'a short line that matches is not taken for a repeat');
    const assign = context('x = ', ';\n');
    assert.equal(holeFromAnswer('= 5', assign), '= 5', 'a repeat must start where a line starts');
  });

  it('takes off the code after the hole when the model repeats it, and a lone bracket only when it is one too many', () => {
    assert.equal(holeFromAnswer('```python\nreturn a + b\n\nprint(add(1, 2))\n```', add), 'return a + b');
    const call = context('total = sum(', ')\n');
    assert.equal(holeFromAnswer('values)', call), 'values');
    assert.equal(holeFromAnswer('len(values)', call), 'len(values)');
    const spaced = context('def add(a, b):\n    return ', '\n\nprint(add(1, 2))\n');
    assert.equal(holeFromAnswer('a + b\n\nprint(add(1,2))', spaced), 'a + b', 'repeated lines in other whitespace');
    const block = context('function f() {\n  ', '\n}\n');
    assert.equal(holeFromAnswer('if (x) {\n    y();\n  }', block), 'if (x) {\n    y();\n  }', "a closing brace that is the fill's own stays");
    const file = context('const x = ', ';\nconsole.log(x);\n');
    assert.equal(holeFromAnswer('```js\nconst x = 42;\nconsole.log(x);\n```', file), '42', 'the whole file repeated');
    assert.equal(holeFromAnswer('```js\nconst x = 42;\n```', file), '42', 'the whole line repeated: its ";" too');
    assert.equal(holeFromAnswer('42;', file), '42;', "a short repeat alone is kept: it may be the fill's own");
  });

  it('drops a repeated marker', () => {
    assert.equal(holeFromAnswer(`return a + b${FILL_MARKER}`, add), 'return a + b');
  });
});

describe('remote: the chat request for a hole', () => {
  it('shows the file with the marker in a fence it cannot close, and asks for the hole only', () => {
    const messages = chatMessages(context('doc = """\n```\n', '\n```\n"""\n'));
    assert.deepEqual(
      messages.map((m) => m.role),
      ['system', 'user'],
    );
    assert.match(messages[0].content, /Reply with only the code that replaces \{\{FILL_HERE\}\}, in one fenced code block/);
    assert.match(messages[1].content, /about 64 tokens at most\)/);
    assert.ok(messages[1].content.includes('````\ndoc = """\n```\n{{FILL_HERE}}\n```\n"""\n\n````'), messages[1].content);
  });

  it('says when the fill stays on one line, and shows the text a rewrite replaces', () => {
    const [, user] = chatMessages(context('x = ', ';', { hole: { start: 4, end: 9, singleLine: true }, current: 'old()' }));
    assert.match(user.content, /on one line\)/);
    assert.match(user.content, /The hole now holds this text, which your answer replaces:\n```\nold\(\)\n```/);
  });
});
