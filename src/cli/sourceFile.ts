import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { InfillError } from '../core';

/** A file's text with the bytes it came from: only text that turns back into those bytes is filled. */
export interface SourceFile {
  text: string;
  bytes: Buffer;
}

/** fs.writeSync's shape: a test gives a write that stops short, as a full disk does. */
export type WriteSync = (fd: number, buffer: Buffer, offset: number, length: number, position: number) => number;

/**
 * Reads a file to fill.  Opened without blocking and checked through the same descriptor: a FIFO
 * with no writer would block the read forever (and Ctrl+C with it), a device never ends.
 */
export function readSourceFile(file: string): SourceFile {
  let fd: number;
  try {
    fd = fs.openSync(file, fs.constants.O_RDONLY | fs.constants.O_NONBLOCK);
  } catch (e) {
    throw fileError(file, e, 'cannot be read');
  }
  let bytes: Buffer;
  try {
    checkRegular(file, fs.fstatSync(fd));
    bytes = fs.readFileSync(fd);
  } catch (e) {
    throw fileError(file, e, 'cannot be read');
  } finally {
    fs.closeSync(fd);
  }
  let text: string;
  try {
    // fatal: an invalid byte would become U+FFFD and be written back changed; ignoreBOM keeps a BOM.
    text = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true }).decode(bytes);
  } catch {
    throw new InfillError(`${file} is not UTF-8 text: it cannot be filled without changing its bytes`);
  }
  return { text, bytes };
}

/**
 * Refuses, before any generation, a file that `--write` could not replace: read-only by its mode
 * (root too, who could write it) or by its file system.
 */
export function checkWritable(file: string): void {
  try {
    const stat = fs.statSync(file);
    checkRegular(file, stat);
    if ((stat.mode & 0o222) === 0) throw new InfillError(`${file} is read-only: nothing written`);
    fs.accessSync(file, fs.constants.W_OK);
  } catch (e) {
    throw fileError(file, e, 'cannot be written', '; nothing written');
  }
}

/**
 * Writes the filled text as the path's user sees it: a symlink's target is written, its mode and
 * owner kept.  The text goes to a temporary file beside the target, synced, then renamed over it, so
 * a full disk or a crash leaves either the old file or the new one, never a mix.  A file with other
 * hard links, or whose owner or folder this process cannot give a new file, is written in place
 * instead, the new length first (see writeInPlace).  Refused when the file no longer holds the
 * bytes that were read.  Any failure is an InfillError that says the file is as it was.
 */
export function writeSourceFile(file: string, text: string, original: SourceFile, write: WriteSync = fs.writeSync): void {
  checkWritable(file);
  const out = Buffer.from(text, 'utf8');
  const unchanged = (now: Buffer) => {
    if (!now.equals(original.bytes)) throw new InfillError(`${file} changed while the model was working: nothing written`);
  };
  try {
    const target = fs.realpathSync(file);
    const stat = fs.statSync(target);
    if (stat.nlink === 1 && replaceByRename(target, out, stat, unchanged, write)) return;
    writeInPlace(target, out, original.bytes, unchanged, write);
  } catch (e) {
    throw fileError(file, e, 'could not be written, and is as it was');
  }
}

/** A temporary file beside the target, renamed over it; false where it cannot be made, or not with the target's owner and mode. */
function replaceByRename(target: string, out: Buffer, stat: fs.Stats, unchanged: (now: Buffer) => void, write: WriteSync): boolean {
  const temporary = path.join(path.dirname(target), `.${path.basename(target)}.${crypto.randomBytes(6).toString('hex')}.diffusion-infill`);
  let fd: number;
  try {
    fd = fs.openSync(temporary, 'wx', 0o600);
  } catch {
    return false; // a folder this process may not write in
  }
  let renamed = false;
  try {
    try {
      if (stat.uid !== process.getuid?.() || stat.gid !== process.getgid?.()) fs.fchownSync(fd, stat.uid, stat.gid);
      fs.fchmodSync(fd, stat.mode & 0o7777);
    } catch {
      return false; // the new file would not be the owner's, or not with the file's mode
    }
    writeAll(fd, out, 0, write);
    fs.fsyncSync(fd);
    unchanged(fs.readFileSync(target));
    fs.renameSync(temporary, target);
    renamed = true;
  } finally {
    fs.closeSync(fd);
    if (!renamed) fs.rmSync(temporary, { force: true });
  }
  syncFolder(path.dirname(target));
  return true;
}

/**
 * Writes into the file itself, through the descriptor that compared its bytes (hard links see
 * the change).  The part beyond the old length is written first: a full disk fails there, and
 * cutting the file back to its old length leaves it as it was.  The old length's blocks are the
 * file's already, so writing over them needs no space.
 */
function writeInPlace(target: string, out: Buffer, old: Buffer, unchanged: (now: Buffer) => void, write: WriteSync): void {
  const fd = fs.openSync(target, 'r+');
  try {
    unchanged(fs.readFileSync(fd));
    if (out.length > old.length) {
      try {
        writeAll(fd, out.subarray(old.length), old.length, write);
        fs.fsyncSync(fd);
      } catch (e) {
        fs.ftruncateSync(fd, old.length);
        throw e;
      }
    }
    try {
      writeAll(fd, out.subarray(0, Math.min(old.length, out.length)), 0, write);
    } catch (e) {
      // Not for want of space (see above): put the old bytes back as far as the file lets us.
      try {
        writeAll(fd, old, 0, fs.writeSync);
        fs.ftruncateSync(fd, old.length);
      } catch {
        // the first error is the one to report
      }
      throw e;
    }
    if (out.length < old.length) fs.ftruncateSync(fd, out.length);
    fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
}

/** Every byte or an error: a write that stops short (a full disk) is retried, and the retry says why. */
function writeAll(fd: number, bytes: Buffer, at: number, write: WriteSync): void {
  for (let done = 0; done < bytes.length;) {
    const n = write(fd, bytes, done, bytes.length - done, at + done);
    if (n <= 0) throw Object.assign(new Error('a write made no progress'), { code: 'EIO' });
    done += n;
  }
}

/** The rename itself is kept on disk only once the folder is synced. */
function syncFolder(dir: string): void {
  let fd: number | undefined;
  try {
    fd = fs.openSync(dir, 'r');
    fs.fsyncSync(fd);
  } catch {
    // Some file systems cannot sync a folder; the rename is done all the same.
  } finally {
    if (fd !== undefined) fs.closeSync(fd);
  }
}

function checkRegular(file: string, stat: fs.Stats): void {
  if (stat.isDirectory()) throw new InfillError(`${file} is a folder, not a file: name a file to fill`);
  if (!stat.isFile()) throw new InfillError(`${file} is not a regular file (a FIFO, socket or device): only files are filled`);
}

/** A file system error in words, without a stack. */
function fileError(file: string, e: unknown, what: string, after = ''): InfillError {
  if (e instanceof InfillError) return e;
  const code = (e as NodeJS.ErrnoException).code;
  const why: Record<string, string> = {
    ENOENT: 'no such file',
    EISDIR: 'it is a folder',
    EACCES: 'permission denied',
    EPERM: 'permission denied',
    EROFS: 'its file system is read-only',
    ENOSPC: 'the disk is full',
    EDQUOT: 'the disk quota is used up',
    EFBIG: 'the file would be larger than this process may write',
    EIO: 'an input/output error',
  };
  if (code === 'ENOENT') return new InfillError(`${file}: no such file`);
  return new InfillError(`${file} ${what}: ${(code && why[code]) ?? (e as Error).message}${code ? ` (${code})` : ''}${after}`);
}
