import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { onnx } from 'onnx-proto';

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

/**
 * Points every tensor of `dir`'s model.onnx that keeps its data outside the graph at `location`
 * (resolved from `dir`, wherever it points), and moves that data there.
 */
export function withExternalData(dir: string, location: string): void {
  const file = path.join(dir, 'model.onnx');
  const model = onnx.ModelProto.decode(fs.readFileSync(file));
  const from = new Set<string>();
  for (const tensor of model.graph!.initializer!) {
    for (const entry of tensor.externalData ?? []) {
      if (entry.key !== 'location') continue;
      from.add(entry.value!);
      entry.value = location;
    }
  }
  assert.equal(from.size, 1, 'the graph keeps its weights in one file beside it');
  fs.renameSync(path.join(dir, [...from][0]), path.resolve(dir, location));
  fs.writeFileSync(file, onnx.ModelProto.encode(model).finish());
}
