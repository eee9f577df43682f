import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { InfillError } from '../../../src/core';
import { readSourceFile, writeSourceFile, WriteSync } from '../../../src/cli/sourceFile';
import { tempDir } from '../support/fixtures';

/** A disk that takes `room` more bytes, then fails as a full one does: a short write, then ENOSPC. */
function fullDisk(room: number): WriteSync {
  let left = room;
  return (fd, buffer, offset, length, position) => {
    if (left === 0) throw Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC' });
    const n = fs.writeSync(fd, buffer, offset, Math.min(length, left), position);
    left -= n;
    return n;
  };
}

describe('writeSourceFile on a full disk', () => {
  let temp: ReturnType<typeof tempDir>;
  let file: string;
  const OLD = Buffer.from('a = 1\n'.repeat(1000) + 'b = <|hole|>\n');
  const NEW = 'a = 1\n'.repeat(1000) + 'b = ' + 'x'.repeat(500) + '\n';
  beforeEach(() => {
    temp = tempDir();
    file = path.join(temp.dir, 'f.py');
    fs.writeFileSync(file, OLD);
  });
  afterEach(() => temp.remove());

  it('leaves the old file byte for byte and no temporary file when a write stops short', () => {
    const original = readSourceFile(file);
    assert.throws(
      () => writeSourceFile(file, NEW, original, fullDisk(4096)),
      (e: Error) => e instanceof InfillError && /could not be written, and is as it was: the disk is full/.test(e.message),
    );
    assert.deepEqual(fs.readFileSync(file), OLD);
    assert.deepEqual(fs.readdirSync(temp.dir), ['f.py']);
  });

  it('leaves the old file byte for byte when it has another hard link (written in place)', () => {
    const other = path.join(temp.dir, 'g.py');
    fs.linkSync(file, other);
    const original = readSourceFile(file);
    // Room for less than the growth: the part beyond the old end fails first.
    assert.throws(() => writeSourceFile(file, NEW, original, fullDisk(100)), /could not be written, and is as it was: the disk is full/);
    assert.deepEqual(fs.readFileSync(file), OLD);
    assert.deepEqual(fs.readFileSync(other), OLD);
    assert.deepEqual(fs.readdirSync(temp.dir).sort(), ['f.py', 'g.py']);
    // With room, both names see the fill.
    writeSourceFile(file, NEW, original);
    assert.equal(fs.readFileSync(other, 'utf8'), NEW);
  });

  it('writes the whole text when every write goes through, keeping the mode and the owner', () => {
    fs.chmodSync(file, 0o640);
    // Root may give the file to another user, whose file it must stay; anyone else keeps their own.
    const owner = process.getuid!() === 0 ? { uid: 4321, gid: 4322 } : { uid: process.getuid!(), gid: process.getgid!() };
    fs.chownSync(file, owner.uid, owner.gid);
    writeSourceFile(file, NEW, readSourceFile(file));
    assert.equal(fs.readFileSync(file, 'utf8'), NEW);
    assert.equal(fs.statSync(file).mode & 0o777, 0o640);
    assert.deepEqual({ uid: fs.statSync(file).uid, gid: fs.statSync(file).gid }, owner);
    assert.deepEqual(fs.readdirSync(temp.dir), ['f.py']);
  });
});
