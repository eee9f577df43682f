import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

export const ROOT = path.resolve(__dirname, '..', '..', '..', '..');
export const TINY_MODEL = path.join(ROOT, 'test', 'fixtures', 'tiny-model');
export const BUNDLED_MODEL = path.join(ROOT, 'models', 'bundled');
export const CLI = path.join(ROOT, 'bin', 'diffusion-infill.js');

/** A fresh temporary folder, removed by the returned function. */
export function tempDir(): { dir: string; remove: () => void } {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'infill-test-'));
  return { dir, remove: () => fs.rmSync(dir, { recursive: true, force: true }) };
}

/** A copy of the tiny model folder that a test may break. */
export function copyOfTinyModel(into: string): string {
  const dir = path.join(into, 'model');
  fs.cpSync(TINY_MODEL, dir, { recursive: true });
  return dir;
}
