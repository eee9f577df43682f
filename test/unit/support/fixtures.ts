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
 * Moves the largest initializer of `dir`'s model.onnx into a file of its own at `location`
 * (resolved from `dir`, wherever it points), as a graph with external data names it.
 */
export function withExternalData(dir: string, location: string): void {
  const file = path.join(dir, 'model.onnx');
  const model = onnx.ModelProto.decode(fs.readFileSync(file));
  const size = (t: onnx.ITensorProto) => t.rawData?.length ?? 0;
  const tensor = model.graph!.initializer!.reduce((a, b) => (size(b) > size(a) ? b : a));
  fs.writeFileSync(path.resolve(dir, location), tensor.rawData!);
  tensor.externalData = [
    onnx.StringStringEntryProto.create({ key: 'location', value: location }),
    onnx.StringStringEntryProto.create({ key: 'length', value: String(size(tensor)) }),
  ];
  tensor.dataLocation = onnx.TensorProto.DataLocation.EXTERNAL;
  tensor.rawData = new Uint8Array(0);
  fs.writeFileSync(file, onnx.ModelProto.encode(model).finish());
}
