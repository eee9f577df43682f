import * as assert from 'node:assert/strict';
import { CompletionCache, KEY_CHARS } from '../../../../src/extension/inline/completionCache';

describe('inline completion cache', () => {
  it('answers the same place with the same fill and a different place with nothing', () => {
    const cache = new CompletionCache();
    cache.set('return ', ';\n}', 'a + b');
    assert.equal(cache.get('return ', ';\n}'), 'a + b');
    assert.equal(cache.get('return ', ';\n}\n'), undefined);
    assert.equal(cache.get('yield ', ';\n}'), undefined);
  });

  it('offers the rest of a fill while the user types its start', () => {
    const cache = new CompletionCache();
    cache.set('return ', ';', 'a + b');
    assert.equal(cache.get('return a', ';'), ' + b');
    assert.equal(cache.get('return a +', ';'), ' b');
    assert.equal(cache.get('return a + b', ';'), undefined, 'nothing left to offer');
    assert.equal(cache.get('return x', ';'), undefined, 'typed something else');
  });

  it('works for prefixes longer than the key', () => {
    const cache = new CompletionCache();
    const long = 'x'.repeat(KEY_CHARS + 50) + 'return ';
    cache.set(long, ';', 'a + b');
    assert.equal(cache.get(long + 'a +', ';'), ' b');
  });

  it('forgets the least recently used place beyond its capacity', () => {
    const cache = new CompletionCache(2);
    cache.set('a', '', '1');
    cache.set('b', '', '2');
    assert.equal(cache.get('a', ''), '1');
    cache.set('c', '', '3');
    assert.equal(cache.size, 2);
    assert.equal(cache.get('b', ''), undefined);
    assert.equal(cache.get('a', ''), '1');
  });
});
