import * as fs from 'node:fs';
import { InfillError } from '../core';

/** A file's text with the bytes it came from: only text that turns back into those bytes is filled. */
export interface SourceFile {
  text: string;
  bytes: Buffer;
}

export function readSourceFile(file: string): SourceFile {
  if (!fs.existsSync(file)) throw new InfillError(`${file}: no such file`);
  const bytes = fs.readFileSync(file);
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
 * Writes the filled text into the file itself, through the path as the user sees it: a symlink's
 * target is written, hard links see the change, the inode, mode and owner stay.  Refused for a
 * read-only file, and when the file no longer holds the bytes that were read, compared through
 * the same descriptor that writes.
 */
export function writeSourceFile(file: string, text: string, original: SourceFile): void {
  if ((fs.statSync(file).mode & 0o222) === 0) throw new InfillError(`${file} is read-only: nothing written`);
  const fd = fs.openSync(file, 'r+');
  try {
    const now = Buffer.alloc(fs.fstatSync(fd).size);
    fs.readSync(fd, now, 0, now.length, 0);
    if (!now.equals(original.bytes)) throw new InfillError(`${file} changed while the model was working: nothing written`);
    const out = Buffer.from(text, 'utf8');
    fs.writeSync(fd, out, 0, out.length, 0);
    fs.ftruncateSync(fd, out.length);
  } finally {
    fs.closeSync(fd);
  }
}
