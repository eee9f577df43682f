// npm run package [-- --target linux-x64]: builds the .vsix of one platform with the esbuild
// bundle, the bundled model, and only that platform's native binaries of onnxruntime-node and
// tokenizers (every platform's would add ~300 MB). @vscode/vsce is installed into the same cache
// as code-server, so that packaging does not add its 250 packages to the project's lockfile.
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';

const VSCE_VERSION = '3.9.2';
const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

/** vsce target -> onnxruntime-node's bin/napi-v6/<dir> and tokenizers' .node suffix. */
const TARGETS = {
  'linux-x64': { ort: 'linux/x64', tokenizers: 'linux-x64-gnu' },
  'linux-arm64': { ort: 'linux/arm64', tokenizers: 'linux-arm64-gnu' },
  'darwin-x64': { ort: 'darwin/x64', tokenizers: 'darwin-x64' },
  'darwin-arm64': { ort: 'darwin/arm64', tokenizers: 'darwin-arm64' },
  'win32-arm64': { ort: 'win32/arm64', tokenizers: 'win32-arm64-msvc' },
};

const args = process.argv.slice(2);
const targetFlag = args.indexOf('--target');
const target = targetFlag === -1 ? `${process.platform}-${process.arch}` : args[targetFlag + 1];
const natives = TARGETS[target];
if (!natives) {
  console.error(`no packaging rule for target "${target}": use one of ${Object.keys(TARGETS).join(', ')}`);
  process.exit(2);
}

const pkg = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8'));
if (!fs.existsSync(path.join(ROOT, 'dist/extension.js'))) {
  console.error('dist/extension.js is missing: run "npm run build" first (npm run package does)');
  process.exit(1);
}
// The syntax check (src/extension/syntax/) parses offline with the tree-sitter runtime and grammars
// that the build copies into dist/syntax/; .vscodeignore lets them in.
const syntax = path.join(ROOT, 'dist/syntax');
const grammars = fs.existsSync(syntax) ? fs.readdirSync(syntax).filter((f) => f.endsWith('.wasm')) : [];
if (!grammars.includes('tree-sitter.wasm') || !grammars.includes('tree-sitter-python.wasm')) {
  console.error('dist/syntax/ lacks the tree-sitter wasm files: run "npm run build" first (npm run package does)');
  process.exit(1);
}
const bundled = path.join(ROOT, 'models/bundled/model.json');
if (!fs.existsSync(bundled)) {
  console.warn('warning: models/bundled/ is missing: this .vsix has no bundled model, and the extension will ask for a model folder');
}

// .vscodeignore lets back in what every platform needs; the target's native binaries are added here.
const ignore = `${fs.readFileSync(path.join(ROOT, '.vscodeignore'), 'utf8').trimEnd()}
!node_modules/onnxruntime-node/bin/napi-v6/${natives.ort}/**
!node_modules/tokenizers/tokenizers.${natives.tokenizers}.node
`;
const scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'diffusion-infill-package-'));
const ignoreFile = path.join(scratch, 'vscodeignore');
fs.writeFileSync(ignoreFile, ignore);

// The user's README (what the Extensions view shows), not the developers' README.md. VS Code
// draws it in a webview that loads images only over https or as data: URIs (its policy is
// `img-src https: data:`, and relative paths resolve nowhere), and this package has no public
// repository for vsce to point them at: so the package's copy carries its images inline.
const readme = path.join(ROOT, 'dist', 'README.vsix.md');
fs.writeFileSync(readme, inlineImages(fs.readFileSync(path.join(ROOT, 'README.extension.md'), 'utf8')));

const vsce = ensureVsce();
const out = path.join(ROOT, `${pkg.name}-${target}-${pkg.version}.vsix`);
try {
  execFileSync(
    process.execPath,
    [
      vsce,
      'package',
      '--target',
      target,
      '--ignoreFile',
      ignoreFile,
      '--readme-path',
      path.relative(ROOT, readme),
      '--allow-missing-repository',
      '--allow-star-activation',
      '--no-rewrite-relative-links',
      '--out',
      out,
    ],
    {
      cwd: ROOT,
      stdio: 'inherit',
    },
  );
} catch {
  console.error('vsce package failed (see above)');
  process.exit(1);
} finally {
  fs.rmSync(scratch, { recursive: true, force: true });
}
console.log(`${path.relative(ROOT, out)}: ${(fs.statSync(out).size / 1024 / 1024).toFixed(1)} MB`);

/** Markdown images with a relative path to a PNG become data: URIs of that file. */
function inlineImages(markdown) {
  return markdown.replace(/(!\[[^\]]*\]\()([^)\s]+\.png)\)/g, (all, head, file) => {
    const local = path.join(ROOT, file);
    if (/^[a-z]+:/i.test(file) || !fs.existsSync(local)) {
      if (!/^[a-z]+:/i.test(file)) console.warn(`warning: README.extension.md shows ${file}, which does not exist`);
      return all;
    }
    return `${head}data:image/png;base64,${fs.readFileSync(local).toString('base64')})`;
  });
}

function ensureVsce() {
  const prefix = path.join(process.env.DIFFUSION_INFILL_CACHE ?? path.join(os.homedir(), '.cache', 'diffusion-infill'), `vsce-${VSCE_VERSION}`);
  const bin = path.join(prefix, 'node_modules/@vscode/vsce/vsce');
  if (!fs.existsSync(bin)) {
    console.error(`installing @vscode/vsce ${VSCE_VERSION} into ${prefix}`);
    fs.mkdirSync(prefix, { recursive: true });
    fs.writeFileSync(path.join(prefix, 'package.json'), '{"private":true}');
    execFileSync('npm', ['install', '--no-audit', '--no-fund', '--prefix', prefix, `@vscode/vsce@${VSCE_VERSION}`], { stdio: 'inherit' });
  }
  return bin;
}
