import * as assert from 'node:assert/strict';
import { samplerOptions } from '../../../src/cli/args';
import { infillBody } from '../../../src/core/protocol';
import { BoundedQueue, checkBearer, HttpError, isLoopback, parseInfillBody } from '../../../src/server';

function status400(body: unknown, pattern: RegExp): void {
  assert.throws(
    () => parseInfillBody(body),
    (e: unknown) => e instanceof HttpError && e.status === 400 && pattern.test(e.message),
  );
}

describe('server: POST /v1/infill bodies', () => {
  it('takes text with hole markers and the sampler settings, in camelCase, flag or snake_case spelling', () => {
    const call = parseInfillBody({ text: 'a <|hole|> b <|hole:4|>', steps: 8, alg: 'low_confidence', 'top-p': 0.9, top_k: 5, holeTokens: 12, seed: 3 });
    assert.equal(call.request.text, 'a  b ');
    assert.deepEqual(call.request.holes, [
      { start: 2, end: 2, tokens: undefined, singleLine: true },
      { start: 5, end: 5, tokens: 4 },
    ]);
    assert.deepEqual(call.options, { steps: 8, alg: 'low_confidence', topP: 0.9, topK: 5, defaultHoleTokens: 12, seed: 3 });
  });

  it('takes prefix and suffix as one hole between them', () => {
    const call = parseInfillBody({ prefix: 'def f():\n    ', suffix: '\n' });
    assert.equal(call.request.text, 'def f():\n    \n');
    assert.deepEqual(call.request.holes, [{ start: 13, end: 13 }]);
  });

  it('takes text with explicit holes literally (a selection to rewrite), markers and all', () => {
    const call = parseInfillBody({ text: 'x = <|hole|> + old', holes: [{ start: 15, end: 18, tokens: 3 }] });
    assert.equal(call.request.text, 'x = <|hole|> + old');
    assert.deepEqual(call.request.holes, [{ start: 15, end: 18, tokens: 3 }]);
    const line = parseInfillBody({ text: 'x = ', holes: [{ start: 4, end: 4, singleLine: true }] });
    assert.deepEqual(line.request.holes, [{ start: 4, end: 4, tokens: undefined, singleLine: true }]);
  });

  it('request settings override the server defaults, and null clears a nullable one', () => {
    const call = parseInfillBody({ text: '<|hole|>', steps: 4, threshold: null }, { steps: 16, temperature: 0.5, threshold: 0.9 });
    assert.deepEqual(call.options, { steps: 4, temperature: 0.5, threshold: null });
    assert.equal(parseInfillBody({ text: '<|hole|>', tokenHealing: false }).options.tokenHealing, false);
    // serve --no-context-reuse is a server default, which a request may set again.
    const serverDefaults = samplerOptions({ 'no-context-reuse': true });
    assert.equal(parseInfillBody({ text: '<|hole|>' }, serverDefaults).options.contextReuse, false);
    assert.equal(parseInfillBody({ text: '<|hole|>', context_reuse: true }, serverDefaults).options.contextReuse, true);
    assert.equal(samplerOptions({}).contextReuse, undefined);
    // serve --length-search turns it on for every request that does not say otherwise; --no-length-search off.
    assert.equal(parseInfillBody({ text: '<|hole|>' }, samplerOptions({ 'length-search': true })).options.lengthSearch, true);
    assert.equal(parseInfillBody({ text: '<|hole|>', length_search: false }, samplerOptions({ 'length-search': true })).options.lengthSearch, false);
    assert.equal(samplerOptions({ 'no-length-search': true }).lengthSearch, false);
    assert.throws(() => samplerOptions({ 'length-search': true, 'no-length-search': true }), /--length-search and --no-length-search contradict/);
    assert.equal(parseInfillBody({ text: '<|hole|>', alg: 'p2', expandLimit: 16 }).options.expandLimit, 16);
    // A reuseKey names the document whose earlier requests may be reused; without one, none are.
    assert.equal(parseInfillBody({ text: '<|hole|>', reuse_key: 'c1/app.py' }).options.reuseKey, 'c1/app.py');
    assert.equal(parseInfillBody({ text: '<|hole|>', reuseKey: null }).options.reuseKey, undefined);
    assert.equal(parseInfillBody({ text: '<|hole|>' }).options.reuseKey, undefined);
  });

  it('reads back exactly what the client sends (one protocol for both sides)', () => {
    const request = {
      text: 'x = \nif y:\n    ',
      holes: [
        { start: 4, end: 4, singleLine: true },
        { start: 15, end: 15, tokens: 6 },
      ],
    };
    const options = { steps: 4, alg: 'low_confidence' as const, threshold: null, defaultHoleTokens: 12, tokenHealing: false, contextReuse: false };
    const call = parseInfillBody(JSON.parse(JSON.stringify(infillBody(request, request.holes, options))));
    assert.deepEqual(call.request, {
      text: request.text,
      holes: [
        { start: 4, end: 4, tokens: undefined, singleLine: true },
        { start: 15, end: 15, tokens: 6 },
      ],
    });
    assert.deepEqual(call.options, options);
  });

  it('answers 400 naming the field for every kind of bad body', () => {
    status400('just a string', /JSON object/);
    status400([1], /JSON object/);
    status400({ text: '<|hole|>', bogus: 1 }, /unknown field "bogus"/);
    status400({ text: '<|hole|>', steps: 'eight' }, /field "steps" must be a number/);
    status400({ text: '<|hole|>', steps: 0 }, /steps must be a whole number/);
    status400({ text: '<|hole|>', temperature: -1 }, /temperature must be/);
    status400({ text: '<|hole|>', alg: 'best' }, /field "alg" must be one of/);
    status400({ text: '<|hole|>', context_reuse: 'yes' }, /field "contextReuse" must be true or false/);
    status400({ text: '<|hole|>', lengthSearch: 1 }, /field "lengthSearch" must be true or false/);
    status400({ text: '<|hole|>', expandLimit: 0 }, /expandLimit must be a whole number from 1 to 4096/);
    status400({ text: '<|hole|>', holeTokens: 1.5 }, /field "holeTokens" must be a whole number/);
    status400({ text: '<|hole|>', top_p: 0.5, topP: 0.5 }, /field "topP" is given twice/);
    status400({}, /missing field "text"/);
    status400({ text: 42 }, /field "text" must be a string/);
    status400({ text: 'no holes here' }, /field "text": nothing to fill/);
    status400({ text: 'bad <|hole:0|>' }, /field "text": 1:5: hole length 0 is out of range/);
    status400({ text: 'a', prefix: 'b' }, /either "text" or "prefix" and "suffix"/);
    status400({ prefix: 3 }, /field "prefix" must be a string/);
    status400({ text: 'abc', holes: [{ start: 2, end: 9 }] }, /field "holes": hole \[2, 9\) is outside the text/);
    status400({ text: 'abc', holes: [{ start: 'x', end: 1 }] }, /field "holes\[0\].start" must be a whole number/);
    status400({ text: 'abc', holes: [{ start: 1, end: 1, size: 2 }] }, /unknown field "holes\[0\].size"/);
    status400({ text: 'abc', holes: 'all' }, /field "holes" must be an array/);
    status400({ text: '<|hole|>', tokenHealing: 'no' }, /field "tokenHealing" must be true or false/);
    status400({ text: 'abc', holes: [{ start: 1, end: 1, singleLine: 'yes' }] }, /field "holes\[0\].singleLine" must be true or false/);
    status400({ text: 'a\nbc', holes: [{ start: 0, end: 3, singleLine: true }] }, /single-line hole at 1:1 replaces more than one line/);
  });
});

describe('server: the bounded queue', () => {
  it('runs N, lines up M, refuses the next with 429 and Retry-After, and hands places on in order', async () => {
    const queue = new BoundedQueue(1, 1, 2);
    const first = await queue.acquire();
    let secondGot = false;
    const second = queue.acquire().then((r) => {
      secondGot = true;
      return r;
    });
    assert.deepEqual([queue.running, queue.waiting], [1, 1]);
    await assert.rejects(queue.acquire(), (e: unknown) => e instanceof HttpError && e.status === 429 && e.headers['Retry-After'] === '2');
    assert.equal(secondGot, false);
    first();
    first(); // a second release changes nothing
    const release = await second;
    assert.deepEqual([queue.running, queue.waiting], [1, 0]);
    release();
    assert.deepEqual([queue.running, queue.waiting], [0, 0]);
  });

  it('a waiting request whose client went away leaves the line', async () => {
    const queue = new BoundedQueue(1, 1);
    const first = await queue.acquire();
    const abort = new AbortController();
    const waiting = queue.acquire(abort.signal);
    abort.abort();
    await assert.rejects(waiting);
    assert.equal(queue.waiting, 0);
    const other = queue.acquire();
    first();
    (await other)();
    assert.deepEqual([queue.running, queue.waiting], [0, 0]);
  });
});

describe('server: auth', () => {
  it('knows loopback addresses', () => {
    for (const h of ['127.0.0.1', '127.1.2.3', '::1', '[::1]', 'localhost', '::ffff:127.0.0.1']) assert.equal(isLoopback(h), true, h);
    for (const h of ['0.0.0.0', '::', '192.168.1.2', '10.0.0.1', 'example.com', '']) assert.equal(isLoopback(h), false, h);
  });

  it('checks the bearer token: missing and wrong are 401, right passes, none configured lets all in', () => {
    const is401 = (pattern: RegExp) => (e: unknown) => e instanceof HttpError && e.status === 401 && pattern.test(e.message);
    assert.throws(() => checkBearer(undefined, 'tok'), is401(/needs a bearer token/));
    assert.throws(() => checkBearer('Basic dG9r', 'tok'), is401(/needs a bearer token/));
    assert.throws(() => checkBearer('Bearer nope', 'tok'), is401(/wrong bearer token/));
    assert.throws(() => checkBearer('Bearer tok2', 'tok'), is401(/wrong bearer token/));
    checkBearer('Bearer tok', 'tok');
    checkBearer('bearer  tok', 'tok');
    checkBearer(undefined, undefined);
  });
});
