import * as fs from 'node:fs';
import * as path from 'node:path';

/**
 * The model folder that ships with the project. Code runs from dist/ (bundled) or out/src/core
 * (compiled tests), so look upwards for the package root.
 */
export function bundledModelDir(from = __dirname): string {
  for (let dir = from; ; dir = path.dirname(dir)) {
    const candidate = path.join(dir, 'models', 'bundled');
    if (fs.existsSync(path.join(dir, 'package.json')) && fs.existsSync(candidate)) return candidate;
    if (path.dirname(dir) === dir) return path.join(from, '..', 'models', 'bundled');
  }
}
