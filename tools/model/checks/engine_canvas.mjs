// The engine's canvases (canvasFor, src/core/engine.ts) for the cases tests/test_canvas.py writes, so
// that references/canvas.py is held to the engine's own code, built from the TypeScript sources on the fly.
//
//   node tools/model/checks/engine_canvas.mjs TOKENIZER_JSON CASES_JSON
//
// CASES_JSON: [{model: {maxContext, maskTokenId, bosTokenId, tokenHealing}, text, holes, options}],
// holes as the engine takes them (UTF-16 offsets), options as InfillOptions.  Prints {"defaults":
// {defaultHoleTokens, holeSlack, maxHoleTokens}, "canvases": [{ids, holes, context} or {error}]}.
import * as esbuild from 'esbuild';
import * as fs from 'node:fs';
import { createRequire } from 'node:module';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
const [tokenizerFile, casesFile] = process.argv.slice(2);
if (!casesFile) {
  console.error('usage: node tools/model/checks/engine_canvas.mjs TOKENIZER_JSON CASES_JSON');
  process.exit(2);
}

const { outputFiles } = await esbuild.build({
  stdin: {
    contents: `export { canvasFor, DEFAULT_HOLE_TOKENS, DEFAULT_HOLE_SLACK } from './src/core/requestCanvas';
      export { loadTokenizer } from './src/core/tokenizer';
      export { MAX_HOLE_TOKENS } from './src/core/holes';`,
    resolveDir: ROOT,
    loader: 'ts',
  },
  bundle: true,
  platform: 'node',
  format: 'cjs',
  write: false,
  external: ['onnxruntime-node', 'tokenizers', 'vscode'],
  logLevel: 'warning',
});
const engine = { exports: {} };
new Function('module', 'exports', 'require', outputFiles[0].text)(engine, engine.exports, createRequire(path.join(ROOT, 'package.json')));
const { canvasFor, loadTokenizer, DEFAULT_HOLE_TOKENS, DEFAULT_HOLE_SLACK, MAX_HOLE_TOKENS } = engine.exports;
// A name moved in src/core re-exports as undefined here: fail at once rather than print a canvas without it.
for (const [name, value] of Object.entries({ canvasFor, loadTokenizer, DEFAULT_HOLE_TOKENS, DEFAULT_HOLE_SLACK, MAX_HOLE_TOKENS })) {
  if (value === undefined) throw new Error(`engine_canvas.mjs: src/core no longer exports ${name} where this script looks for it`);
}

const tokenizer = loadTokenizer(tokenizerFile);
const canvases = [];
for (const c of JSON.parse(fs.readFileSync(casesFile, 'utf8'))) {
  try {
    // canvasFor reads only the model's config and tokenizer.
    const canvas = await canvasFor({ config: c.model, tokenizer }, c.text, c.holes, c.options ?? {});
    canvases.push({ ids: Array.from(canvas.ids), holes: canvas.holes, context: canvas.context });
  } catch (e) {
    canvases.push({ error: e.message });
  }
}
const defaults = { defaultHoleTokens: DEFAULT_HOLE_TOKENS, holeSlack: DEFAULT_HOLE_SLACK, maxHoleTokens: MAX_HOLE_TOKENS };
process.stdout.write(JSON.stringify({ defaults, canvases }) + '\n');
