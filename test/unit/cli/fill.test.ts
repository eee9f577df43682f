import * as assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { CLI, copyOfTinyModel, tempDir, TINY_MODEL } from '../support/fixtures';

function cli(...args: string[]) {
  const r = spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8', timeout: 60000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

const THREE_HOLES = 'def add(a, b):\n    <|hole|>\n\n\ndef sub(a, b):\n    return <|hole:6|>\n\nprint(add(1, 2), <|hole:3|>)\n';

describe('the fill command, end to end on the tiny model', () => {
  let temp: ReturnType<typeof tempDir>;
  let file: string;
  beforeEach(() => {
    temp = tempDir();
    file = path.join(temp.dir, 'example.py');
    fs.writeFileSync(file, THREE_HOLES);
  });
  afterEach(() => temp.remove());

  it('fills three holes, printing a JSON draft per step and the result', () => {
    const r = cli('fill', file, '--model', TINY_MODEL, '--steps', '8', '--json');
    assert.equal(r.code, 0, r.stderr);
    const lines = r.stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    const drafts = lines.filter((l) => l.type === 'draft');
    const result = lines[lines.length - 1];
    assert.equal(result.type, 'result');
    assert.ok(drafts.length >= 2);
    assert.ok(drafts.every((d) => d.holes.length === 3 && Array.isArray(d.committed)));
    for (const c of drafts.flatMap((d) => d.committed)) assert.deepEqual(Object.keys(c).sort(), ['confidence', 'hole', 'offset', 'pos', 'text', 'token']);
    // Each hole also rewrites the context token before it (token healing): one position more each.
    assert.equal(result.stats.maskedTokens, 32 + 6 + 3 + 3);
    const positions = drafts.flatMap((d: any) => d.committed.map((c: any) => c.pos));
    assert.equal(new Set(positions).size, positions.length, 'no position is committed twice');
    assert.ok(positions.length <= result.stats.maskedTokens);
    assert.ok(!result.text.includes('<|hole'));
    assert.ok(result.text.startsWith('def add(a, b):\n    '));
    assert.equal(fs.readFileSync(file, 'utf8'), THREE_HOLES, 'without --write the file is untouched');
  });

  it('prints progress to stderr and the filled file to stdout; --write replaces the file', () => {
    const shown = cli('fill', file, '--model', TINY_MODEL, '--steps', '4', '--alg', 'low_confidence');
    assert.equal(shown.code, 0, shown.stderr);
    assert.match(shown.stderr, /step 1\/4/);
    assert.match(shown.stderr, /step 4\/4/);
    const written = cli('fill', file, '--model', TINY_MODEL, '--steps', '4', '--alg', 'low_confidence', '--write');
    assert.equal(written.code, 0, written.stderr);
    assert.equal(written.stdout, '');
    assert.equal(fs.readFileSync(file, 'utf8'), shown.stdout);
    assert.deepEqual(fs.readdirSync(temp.dir).sort(), ['example.py'], 'no temporary file is left behind');
  });

  it('--write refuses a file that is not UTF-8 and leaves it byte for byte', () => {
    const latin1 = Buffer.concat([Buffer.from('# caf'), Buffer.from([0xe9]), Buffer.from('\nx = <|hole:4|>\n')]);
    fs.writeFileSync(file, latin1);
    const r = cli('fill', file, '--model', TINY_MODEL, '--write');
    assert.equal(r.code, 1);
    assert.match(r.stderr, /not UTF-8 text/);
    assert.deepEqual(fs.readFileSync(file), latin1);
  });

  it('--write writes through a symlink, keeps the mode and a BOM, and leaves no temporary file', () => {
    fs.writeFileSync(file, '\ufeffx = <|hole:4|>\n');
    fs.chmodSync(file, 0o640);
    const link = path.join(temp.dir, 'link.py');
    fs.symlinkSync(file, link);
    const r = cli('fill', link, '--model', TINY_MODEL, '--steps', '4', '--write');
    assert.equal(r.code, 0, r.stderr);
    assert.ok(fs.lstatSync(link).isSymbolicLink(), 'the link is still a link');
    const written = fs.readFileSync(file, 'utf8');
    assert.ok(written.startsWith('\ufeffx = ') && !written.includes('<|hole'), JSON.stringify(written));
    assert.equal(fs.statSync(file).mode & 0o777, 0o640);
    assert.deepEqual(fs.readdirSync(temp.dir).sort(), ['example.py', 'link.py']);
  });

  it('--write into a file with another hard link writes the same inode, which both names see', () => {
    const hard = path.join(temp.dir, 'hard.py');
    fs.linkSync(file, hard);
    const inode = fs.statSync(file).ino;
    const r = cli('fill', file, '--model', TINY_MODEL, '--steps', '4', '--write');
    assert.equal(r.code, 0, r.stderr);
    const written = fs.readFileSync(file, 'utf8');
    assert.ok(!written.includes('<|hole'), written);
    assert.equal(fs.statSync(file).ino, inode);
    assert.equal(fs.readFileSync(hard, 'utf8'), written, 'a hard link sees the fill');
  });

  it('--write on a full disk exits 1, says so, and leaves the file byte for byte', () => {
    // A file of 8,192 bytes whose fill is longer; the shell's file size limit (ulimit -f, in KiB)
    // makes a write past 8 KiB stop short and the next fail, as a full disk does.
    const body = 'x = 1\n'.repeat(1360);
    fs.writeFileSync(file, body + 'y = <|hole:64|>\n'.padEnd(8192 - body.length, '#'));
    const before = fs.readFileSync(file);
    assert.equal(before.length, 8192);
    const shown = cli('fill', file, '--model', TINY_MODEL, '--quiet');
    assert.equal(shown.code, 0, shown.stderr);
    assert.ok(Buffer.byteLength(shown.stdout) > 8192, `the fill makes the file longer (${Buffer.byteLength(shown.stdout)} bytes)`);
    const r = spawnSync('bash', ['-c', 'ulimit -f 8 && exec "$0" "$@"', process.execPath, CLI, 'fill', file, '--model', TINY_MODEL, '--quiet', '--write'], {
      encoding: 'utf8',
      timeout: 60000,
    });
    assert.equal(r.status, 1, r.stderr);
    assert.match(r.stderr, /could not be written, and is as it was/);
    assert.doesNotMatch(r.stderr, /\n\s+at /, 'no stack trace');
    assert.deepEqual(fs.readFileSync(file), before);
    assert.deepEqual(fs.readdirSync(temp.dir), ['example.py'], 'no temporary file is left behind');
  });

  it('refuses a FIFO, a folder and a read-only file before any generation, in words', () => {
    const fifo = path.join(temp.dir, 'fifo.py');
    assert.equal(spawnSync('mkfifo', [fifo]).status, 0);
    const folder = path.join(temp.dir, 'folder.py');
    fs.mkdirSync(folder);
    fs.chmodSync(file, 0o444);
    for (const [target, args, says] of [
      [fifo, [], /fifo\.py is not a regular file/],
      [folder, [], /folder\.py is a folder, not a file/],
      [file, ['--write'], /example\.py is read-only: nothing written/],
    ] as const) {
      const r = spawnSync(process.execPath, [CLI, 'fill', target, '--model', TINY_MODEL, '--json', ...args], { encoding: 'utf8', timeout: 20000 });
      assert.equal(r.status, 1, `${target}: ${r.status} ${r.signal} ${r.stderr}`);
      assert.match(r.stderr, says);
      assert.doesNotMatch(r.stderr, /\n\s+at /, 'no stack trace');
      assert.equal(r.stdout, '', 'no draft: refused before the generation');
    }
    assert.equal(fs.readFileSync(file, 'utf8'), THREE_HOLES);
  });

  it('a flag out of its range is a usage error (exit 2) that names the flag; --hole-tokens 0 writes nothing', () => {
    for (const [flag, value, message] of [
      ['--top-p', '2', /--top-p must be a number from 0 to 1/],
      ['--hole-tokens', '0', /--hole-tokens must be a whole number from 1 to 4096/],
      ['--context-tokens', '1e9', /--context-tokens must be a whole number from 1 to 131072/],
    ] as const) {
      const r = cli('fill', file, '--model', TINY_MODEL, flag, value, '--write');
      assert.equal(r.code, 2, `${flag} ${value}: ${r.stderr}`);
      assert.match(r.stderr, message);
    }
    assert.equal(fs.readFileSync(file, 'utf8'), THREE_HOLES);
  });

  it("--device cuda without CUDA says in one line that it runs on the CPU instead, without the runtime's raw error", () => {
    const r = cli('fill', file, '--model', TINY_MODEL, '--steps', '4', '--device', 'cuda', '--quiet');
    assert.equal(r.code, 0, r.stderr);
    if (/using cpu/.test(r.stderr)) {
      assert.match(r.stderr, /^diffusion-infill: execution provider "cuda" (failed|is not available).*using cpu$/m);
      assert.doesNotMatch(r.stderr, /\[E:onnxruntime/);
    }
  });

  it('a negative value after a flag is read as its value, and its range named', () => {
    const r = cli('fill', file, '--model', TINY_MODEL, '--temperature', '-1');
    assert.equal(r.code, 2);
    assert.match(r.stderr, /--temperature must be a number from 0 to 100, not -1/);
  });

  it('--threads beyond its bound is a usage error that names the bound', () => {
    const r = cli('fill', file, '--model', TINY_MODEL, '--threads', '100000');
    assert.equal(r.code, 2);
    assert.match(r.stderr, /--threads takes a whole number from 0 \(one a core\) to 256/);
  });

  it('--write refuses a read-only file', () => {
    fs.chmodSync(file, 0o444);
    const r = cli('fill', file, '--model', TINY_MODEL, '--steps', '4', '--write');
    assert.equal(r.code, 1);
    assert.match(r.stderr, /read-only: nothing written/);
    assert.equal(fs.readFileSync(file, 'utf8'), THREE_HOLES);
  });

  it('a broken model folder exits non-zero, names the problem, and leaves the file byte for byte', () => {
    const broken = copyOfTinyModel(temp.dir);
    fs.rmSync(path.join(broken, 'tokenizer.json'));
    const before = fs.readFileSync(file);
    const r = cli('fill', file, '--model', broken, '--write');
    assert.notEqual(r.code, 0);
    assert.match(r.stderr, /tokenizer\.json is missing/);
    assert.deepEqual(fs.readFileSync(file), before);
  });

  it('a malformed marker exits non-zero with its place, and leaves the file byte for byte', () => {
    fs.writeFileSync(file, 'x = 1\ny = <|hole:two|>\r\n');
    const before = fs.readFileSync(file);
    const r = cli('fill', file, '--model', TINY_MODEL, '--write');
    assert.notEqual(r.code, 0);
    assert.match(r.stderr, /example\.py:2:5: malformed hole marker/);
    assert.deepEqual(fs.readFileSync(file), before);
  });

  it('a reader that stops early (| head) ends the run quietly with exit 0', async () => {
    const child = spawn(process.execPath, [CLI, 'fill', file, '--model', TINY_MODEL, '--steps', '40', '--json']);
    let stderr = '';
    child.stderr.on('data', (d) => (stderr += d));
    child.stdout.once('data', () => child.stdout.destroy());
    const code = await new Promise((resolve) => child.on('close', resolve));
    assert.equal(code, 0, stderr);
    assert.equal(stderr, '');
    assert.equal(fs.readFileSync(file, 'utf8'), THREE_HOLES);
  });

  it('bad flags exit 2 with the usage', () => {
    const r = cli('fill', file, '--alg', 'greedy');
    assert.equal(r.code, 2);
    assert.match(r.stderr, /--alg must be one of/);
  });
});
