import * as assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as http from 'node:http';
import * as path from 'node:path';
import { startServe, Served } from './support/server';
import { BUNDLED_MODEL, CLI, copyOfTinyModel, tempDir, TINY_MODEL, withExternalData } from './support/fixtures';

/**
 * The catalogue of bad inputs: each row is an input a user can give, the exit code or status it
 * must get, and a fragment of the message that must name it. A bad input never loses anything:
 * every CLI row also checks that its file is byte for byte what it was. A regression in any
 * check where input enters shows up here as one failed row.
 */

interface CliRow {
  input: string;
  args: string[];
  /** The file the row fills (a name of FILES), 'ok.py' when unset. */
  file?: string;
  /** Breaks the row's copy of the tiny model (passed as --model when given). */
  model?: (dir: string) => void;
  code: number;
  says: RegExp;
  /** What the message must not show (a secret, the runtime's raw words). */
  hides?: RegExp;
  /** Nothing on stdout: refused before the generation's first draft. */
  quiet?: boolean;
}

const FILES: Record<string, Buffer> = {
  'ok.py': Buffer.from('x = <|hole:4|>\n'),
  'latin1.py': Buffer.from('# caf\xe9\nx = <|hole:4|>\n', 'latin1'),
  'marker.py': Buffer.from('x = <|hole:x|>\n'),
  'none.py': Buffer.from('x = 1\n'),
  'long.py': Buffer.from('x = <|hole:5000|>\n'),
  'readonly.py': Buffer.from('x = <|hole:4|>\n'),
};

/** Inputs that are not regular files, made beside FILES. */
const SPECIAL: Record<string, (file: string) => void> = {
  'fifo.py': (file) => assert.equal(spawnSync('mkfifo', [file]).status, 0),
  'folder.py': (file) => fs.mkdirSync(file),
};

const json = (edit: (c: Record<string, any>) => void) => (dir: string) => {
  const file = path.join(dir, 'model.json');
  const c = JSON.parse(fs.readFileSync(file, 'utf8'));
  edit(c);
  fs.writeFileSync(file, JSON.stringify(c));
};
const remove = (name: string) => (dir: string) => fs.rmSync(path.join(dir, name));
const write = (name: string, content: string) => (dir: string) => fs.writeFileSync(path.join(dir, name), content);

const FLAGS: CliRow[] = [
  { input: 'no FILE', args: [], file: '', code: 2, says: /fill takes exactly one FILE/ },
  { input: 'unknown flag', args: ['--bogus'], code: 2, says: /Unknown option '--bogus'/ },
  { input: '--steps 0', args: ['--steps', '0'], code: 2, says: /--steps must be a whole number from 1 to 100000/ },
  { input: '--steps abc', args: ['--steps', 'abc'], code: 2, says: /--steps takes a number, not "abc"/ },
  { input: '--steps 1e9', args: ['--steps', '1e9'], code: 2, says: /--steps must be a whole number from 1 to 100000/ },
  { input: '--temperature -1', args: ['--temperature', '-1'], code: 2, says: /--temperature must be a number from 0 to 100/ },
  { input: '--top-p 0', args: ['--top-p', '0'], code: 2, says: /--top-p must be above 0/ },
  { input: '--top-p 2', args: ['--top-p', '2'], code: 2, says: /--top-p must be a number from 0 to 1/ },
  { input: '--top-k -3', args: ['--top-k', '-3'], code: 2, says: /--top-k must be a whole number from 0/ },
  { input: '--alg best', args: ['--alg', 'best'], code: 2, says: /--alg must be one of .*entropy/ },
  { input: '--threshold 1.5', args: ['--threshold', '1.5'], code: 2, says: /--threshold must be a number from 0 to 1/ },
  { input: '--block-length 0', args: ['--block-length', '0'], code: 2, says: /--block-length must be a whole number from 1/ },
  { input: '--seed 1.5', args: ['--seed', '1.5'], code: 2, says: /--seed must be a whole number from 0 to 4294967295/ },
  { input: '--hole-tokens 0', args: ['--hole-tokens', '0'], code: 2, says: /--hole-tokens must be a whole number from 1 to 4096/ },
  { input: '--context-tokens 200000', args: ['--context-tokens', '200000'], code: 2, says: /--context-tokens must be a whole number from 1 to 131072/ },
  { input: '--time-limit-seconds 0', args: ['--time-limit-seconds', '0'], code: 2, says: /--time-limit-seconds must be a number from 0.1 to 86400/ },
  { input: '--time-limit-seconds 1e6', args: ['--time-limit-seconds', '1e6'], code: 2, says: /--time-limit-seconds must be a number from 0.1 to 86400/ },
  { input: '--threads 100000', args: ['--threads', '100000'], code: 2, says: /--threads takes a whole number from 0 \(one a core\) to 256/ },
  { input: '--threads -1', args: ['--threads', '-1'], code: 2, says: /--threads takes a whole number/ },
  { input: '--device tpu', args: ['--device', 'tpu'], code: 2, says: /--device must be one of cpu/ },
  {
    input: '--server with a password',
    args: ['--server', 'http://user:SECRET@127.0.0.1:9/'],
    code: 1,
    says: /leave the user name and password out of the URL/,
    hides: /SECRET/,
  },
  { input: '--server without a scheme', args: ['--server', 'localhost:8080'], code: 1, says: /http:\/\/localhost:8080/ },
  { input: '--token blank', args: ['--server', 'http://127.0.0.1:9/', '--token', ' '], code: 1, says: /token/i },
  { input: 'a missing FILE', args: [], file: 'missing.py', code: 1, says: /missing\.py/ },
  { input: 'a file not UTF-8', args: ['--write'], file: 'latin1.py', code: 1, says: /not valid UTF-8|not UTF-8/ },
  { input: 'a malformed marker', args: [], file: 'marker.py', code: 1, says: /1:5: malformed hole marker/ },
  { input: 'no markers', args: [], file: 'none.py', code: 1, says: /no holes/ },
  { input: 'a marker hole:5000', args: [], file: 'long.py', code: 1, says: /hole length 5000 is out of range: use 1 to 4096/ },
  { input: 'a FIFO as FILE', args: [], file: 'fifo.py', code: 1, says: /fifo\.py is not a regular file/ },
  { input: 'a folder as FILE', args: [], file: 'folder.py', code: 1, says: /folder\.py is a folder, not a file/ },
  {
    input: 'a read-only file with --write',
    args: ['--write', '--json'],
    file: 'readonly.py',
    code: 1,
    says: /readonly\.py is read-only: nothing written/,
    quiet: true,
  },
];

const MODEL_FOLDERS: CliRow[] = [
  { input: 'no model.json', args: [], model: remove('model.json'), code: 1, says: /has no model\.json/ },
  { input: 'no model.onnx', args: [], model: remove('model.onnx'), code: 1, says: /has no model\.onnx/ },
  { input: 'no tokenizer.json', args: [], model: remove('tokenizer.json'), code: 1, says: /tokenizer\.json is missing/ },
  { input: 'model.json not JSON', args: [], model: write('model.json', '{'), code: 1, says: /model\.json is not valid JSON/ },
  { input: 'model.onnx garbage', args: [], model: write('model.onnx', 'not a graph'), code: 1, says: /model\.onnx could not be loaded by onnxruntime/ },
  { input: 'model.onnx empty', args: [], model: write('model.onnx', ''), code: 1, says: /model\.onnx could not be loaded by onnxruntime/ },
  { input: 'tokenizer.json garbage', args: [], model: write('tokenizer.json', 'nope'), code: 1, says: /tokenizer\.json is not a tokenizers file/ },
  { input: 'vocabSize 1e9', args: [], model: json((c) => (c.vocabSize = 1e9)), code: 1, says: /vocabSize/ },
  {
    input: 'vocabSize 300 (logits 260)',
    args: [],
    model: json((c) => (c.vocabSize = 300)),
    code: 1,
    says: /logits have 260 columns but model\.json says vocabSize 300/,
  },
  { input: 'maxContext 1e9', args: [], model: json((c) => (c.maxContext = 1e9)), code: 1, says: /maxContext/ },
  { input: 'mask id = end id', args: [], model: json((c) => (c.maskTokenId = c.eosTokenId)), code: 1, says: /"maskTokenId" 257 must differ from eosTokenId/ },
  { input: 'mask id unknown to the tokenizer', args: [], model: json((c) => (c.maskTokenId = 259)), code: 1, says: /does not know the mask token id 259/ },
  { input: 'logitsShifted not a boolean', args: [], model: json((c) => (c.logitsShifted = 'dream')), code: 1, says: /"logitsShifted" must be true/ },
  { input: 'an input name the graph lacks', args: [], model: json((c) => (c.onnx.inputs.attentionMask = 'mask')), code: 1, says: /not in the graph: mask/ },
  { input: 'onnx.file outside the folder', args: [], model: json((c) => (c.onnx.file = '../../../etc/passwd')), code: 1, says: /outside the model folder/ },
  {
    input: 'onnx.file a FIFO',
    args: [],
    model: (dir) => {
      assert.equal(spawnSync('mkfifo', [path.join(dir, 'model.fifo')]).status, 0);
      json((c) => (c.onnx.file = 'model.fifo'))(dir);
    },
    code: 1,
    says: /model\.fifo \(onnx\.file in model\.json\) is not a regular file/,
  },
  {
    input: "external data outside the folder (the graph's location)",
    args: [],
    model: (dir) => withExternalData(dir, '../weights.bin'),
    code: 1,
    says: /external data of model\.onnx names "\.\.\/weights\.bin", outside the model folder/,
  },
  {
    input: 'a wrong ropeTheta',
    args: [],
    model: json((c) => (c.onnx.cache.ropeTheta = 500000)),
    code: 1,
    says: /ropeTheta 500000 does not turn the graph's keys/,
  },
  {
    input: 'a mask id that is an ordinary token',
    args: [],
    model: json((c) => (c.maskTokenId = 97)),
    code: 1,
    says: /maskTokenId 97 is the tokenizer's ordinary token "a"/,
  },
  {
    input: 'model.onnx of another vocabulary',
    args: [],
    model: (dir) => {
      // The graph's own inputs and outputs (the bundled graph has more layers of cache), so only the vocabulary differs.
      const { onnx } = JSON.parse(fs.readFileSync(path.join(dir, 'model.json'), 'utf8'));
      ['model.json', 'tokenizer.json'].forEach((f) => fs.copyFileSync(path.join(BUNDLED_MODEL, f), path.join(dir, f)));
      json((c) => (c.onnx = onnx))(dir);
    },
    code: 1,
    says: /logits have 260 columns but model\.json says vocabSize 6144/,
    hides: /Gather/,
  },
];

describe('catalogue of bad inputs', () => {
  let temp: ReturnType<typeof tempDir>;
  before(() => {
    temp = tempDir();
    for (const [name, bytes] of Object.entries(FILES)) fs.writeFileSync(path.join(temp.dir, name), bytes);
    for (const [name, make] of Object.entries(SPECIAL)) make(path.join(temp.dir, name));
    fs.chmodSync(path.join(temp.dir, 'readonly.py'), 0o444);
  });
  after(() => temp.remove());

  for (const [table, rows] of [
    ['CLI flags and files', FLAGS],
    ['model folders', MODEL_FOLDERS],
  ] as const) {
    describe(table, () => {
      for (const row of rows) {
        it(`${row.input}: exit ${row.code}, says ${row.says.source}`, () => {
          const name = row.file ?? 'ok.py';
          const file = path.join(temp.dir, name);
          let model = TINY_MODEL;
          if (row.model) {
            model = copyOfTinyModel(fs.mkdtempSync(path.join(temp.dir, 'm-')));
            row.model(model);
          }
          // A server row names its own source: --model too would ask for two.
          const source = row.args.includes('--server') ? [] : ['--model', model];
          const r = spawnSync(process.execPath, [CLI, 'fill', ...(name ? [file] : []), ...source, ...row.args], { encoding: 'utf8', timeout: 60000 });
          assert.equal(r.status, row.code, `exit ${r.status}: ${r.stderr}`);
          assert.match(r.stderr, row.says);
          if (row.hides) assert.doesNotMatch(r.stderr, row.hides);
          assert.doesNotMatch(r.stderr, /\n\s+at /, 'no stack trace');
          if (row.quiet) assert.equal(r.stdout, '', 'refused before the first draft');
          if (FILES[name]) assert.deepEqual(fs.readFileSync(file), FILES[name], 'the file is byte for byte what it was');
        });
      }
    });
  }

  describe('server bodies and requests', () => {
    let served: Served;
    const TOKEN = 'catalogue-token';
    before(async () => {
      served = await startServe(['--model', TINY_MODEL, '--token', TOKEN, '--max-body', '4096', '--time-limit-seconds', '60']);
    });
    after(async () => {
      await served?.stop();
    });

    interface HttpRow {
      input: string;
      body: unknown;
      status: number;
      says: RegExp;
      token?: string | null;
      path?: string;
    }
    const big = 'x'.repeat(5000);
    const rows: HttpRow[] = [
      { input: 'no token', body: { text: '<|hole|>' }, token: null, status: 401, says: /token/i },
      { input: 'a wrong token', body: { text: '<|hole|>' }, token: 'wrong', status: 401, says: /token/i },
      { input: 'a body past --max-body', body: { text: big + '<|hole|>' }, status: 413, says: /4096/ },
      { input: 'not JSON', body: '{', status: 400, says: /JSON/ },
      { input: 'an array', body: [1], status: 400, says: /JSON object/ },
      { input: 'an unknown field', body: { text: '<|hole|>', bogus: 1 }, status: 400, says: /unknown field "bogus"/ },
      { input: 'steps 0', body: { text: '<|hole|>', steps: 0 }, status: 400, says: /steps must be a whole number from 1/ },
      { input: 'steps "eight"', body: { text: '<|hole|>', steps: 'eight' }, status: 400, says: /field "steps" must be a number/ },
      { input: 'temperature -1', body: { text: '<|hole|>', temperature: -1 }, status: 400, says: /temperature must be/ },
      { input: 'alg "best"', body: { text: '<|hole|>', alg: 'best' }, status: 400, says: /field "alg" must be one of/ },
      {
        input: 'contextTokens 1e9',
        body: { text: '<|hole|>', contextTokens: 1e9 },
        status: 400,
        says: /field "contextTokens" must be a whole number from 1 to 131072/,
      },
      { input: 'holeTokens 0', body: { text: '<|hole|>', holeTokens: 0 }, status: 400, says: /field "holeTokens" must be a whole number from 1 to 4096/ },
      {
        input: 'timeLimitSeconds 0',
        body: { text: '<|hole|>', timeLimitSeconds: 0 },
        status: 400,
        says: /field "timeLimitSeconds" must be a number from 0.1 to 86400/,
      },
      {
        input: "timeLimitSeconds past the server's",
        body: { text: '<|hole|>', timeLimitSeconds: 61 },
        status: 400,
        says: /at most this server's limit of 60 s/,
      },
      { input: 'no text', body: {}, status: 400, says: /missing field "text"/ },
      { input: 'no holes', body: { text: 'x = 1' }, status: 400, says: /nothing to fill/ },
      { input: 'a hole outside the text', body: { text: 'abc', holes: [{ start: 2, end: 9 }] }, status: 400, says: /outside the text/ },
      {
        input: 'a hole inside a surrogate pair',
        body: { text: 'x = "😀"\n', holes: [{ start: 6, end: 6 }] },
        status: 400,
        says: /cuts the character at 1:6 in two/,
      },
      { input: 'reuseKey not a text', body: { text: '<|hole|>', reuseKey: 5 }, status: 400, says: /field "reuseKey" must be a text of 1 to 1024 characters/ },
      { input: 'a hole:0 marker', body: { text: 'x <|hole:0|>' }, status: 400, says: /hole length 0 is out of range/ },
      { input: 'holes longer than the canvas', body: { text: '<|hole:4096|>' }, status: 400, says: /the holes need \d+ tokens but the canvas holds 512/ },
      { input: 'an unknown path', body: { text: '<|hole|>' }, path: '/v1/nothing', status: 404, says: /./ },
    ];
    for (const row of rows) {
      it(`${row.input}: ${row.status}, says ${row.says.source}`, async () => {
        const headers: Record<string, string> = { 'Content-Type': 'application/json' };
        const token = row.token === undefined ? TOKEN : row.token;
        if (token !== null) headers.Authorization = `Bearer ${token}`;
        const response = await fetch(served.url + (row.path ?? '/v1/infill'), {
          method: 'POST',
          headers,
          body: typeof row.body === 'string' ? row.body : JSON.stringify(row.body),
        });
        const text = await response.text();
        assert.equal(response.status, row.status, text);
        let message = text;
        try {
          message = JSON.parse(text).error ?? text;
        } catch {
          // not JSON: the text itself
        }
        assert.match(message, row.says);
      });
    }
  });

  describe('a server without a token: only programs of this machine', () => {
    let served: Served;
    before(async () => {
      served = await startServe(['--model', TINY_MODEL]);
    });
    after(async () => {
      await served?.stop();
    });
    const port = () => new URL(served.url).port;
    const rows: { input: string; headers: () => Record<string, string>; status: number; says: RegExp }[] = [
      {
        input: 'a Host that is not loopback (DNS rebinding)',
        headers: () => ({ Host: `rebound.example:${port()}` }),
        status: 403,
        says: /not to this machine/,
      },
      {
        input: "a web page's Origin",
        headers: () => ({ Origin: 'https://page.example' }),
        status: 403,
        says: /a request from the web page https:\/\/page\.example/,
      },
      { input: 'a body sent as text/plain', headers: () => ({ 'Content-Type': 'text/plain' }), status: 415, says: /Content-Type: application\/json/ },
    ];
    for (const row of rows) {
      it(`${row.input}: ${row.status}, says ${row.says.source}`, async () => {
        const body = JSON.stringify({ text: 'x = <|hole:4|>' });
        const headers = { Host: `127.0.0.1:${port()}`, 'Content-Type': 'application/json', 'Content-Length': String(body.length), ...row.headers() };
        const answer = await new Promise<{ status: number; text: string }>((resolve, reject) => {
          const req = http.request(`${served.url}/v1/infill`, { method: 'POST', headers, setHost: false }, (res) => {
            let text = '';
            res.on('data', (d: Buffer) => (text += d));
            res.on('end', () => resolve({ status: res.statusCode!, text }));
          });
          req.on('error', reject);
          req.end(body);
        });
        assert.equal(answer.status, row.status, answer.text);
        assert.match(JSON.parse(answer.text).error, row.says);
      });
    }
  });
});
