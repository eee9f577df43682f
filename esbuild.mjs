// Bundles each entry point into dist/. Native modules and the vscode API stay external:
// they are loaded from node_modules (or provided by VS Code) at run time.
import * as esbuild from 'esbuild';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { createRequire } from 'node:module';

const entries = {
  cli: 'src/cli/main.ts',
  bench: 'src/bench/main.ts',
  load: 'src/bench/load.ts',
  isolation: 'src/bench/isolation.ts',
  isolationChild: 'src/bench/isolationChild.ts',
  buildBench: 'src/bench/buildBench.ts',
  // The model builder's thread (src/convert/convertOnWorker.ts loads it from beside the bundle).
  convertWorker: 'src/convert/convertWorker.ts',
  extension: 'src/extension/extension.ts',
  // The thread that runs onnxruntime (src/core/workerLogitsModel.ts loads it from beside the bundle).
  onnxWorker: 'src/core/onnxWorker.ts',
  // The sampler's helper threads (src/core/samplerPool.ts), started by the one above.
  samplerWorker: 'src/core/samplerWorker.ts',
};

const watch = process.argv.includes('--watch');
const options = {
  entryPoints: entries,
  bundle: true,
  platform: 'node',
  target: 'node20',
  format: 'cjs',
  outdir: 'dist',
  sourcemap: true,
  external: ['vscode', 'onnxruntime-node', 'tokenizers'],
  logLevel: 'warning',
};

// The Drafts panel's webview script: a browser bundle of its own (src/webview/panel.ts).
const webview = {
  entryPoints: { panel: 'src/webview/panel.ts' },
  bundle: true,
  platform: 'browser',
  target: 'es2022',
  format: 'iife',
  outdir: 'dist',
  sourcemap: true,
  logLevel: 'warning',
};

// The syntax check's tree-sitter runtime and grammars (src/extension/syntax/syntaxCheck.ts) load
// from dist/syntax/: the .vsix ships that folder, so the check works offline.
const wasm = path.dirname(createRequire(import.meta.url).resolve('@vscode/tree-sitter-wasm'));
fs.mkdirSync('dist/syntax', { recursive: true });
for (const file of fs.readdirSync(wasm).filter((f) => f.endsWith('.wasm'))) fs.copyFileSync(path.join(wasm, file), path.join('dist/syntax', file));

if (watch) {
  const contexts = [await esbuild.context(options), await esbuild.context(webview)];
  await Promise.all(contexts.map((ctx) => ctx.watch()));
} else {
  await Promise.all([esbuild.build(options), esbuild.build(webview)]);
}
