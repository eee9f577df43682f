// Shared by the code-server harnesses (runCodeServer.mjs, e2e.mjs): install code-server, start it
// on a free port with throw-away user data, drive Debian's chromium with playwright-core, and
// always stop both. See shared notes "vscode-offline.md" for why code-server stands in for VS Code.
import { execFileSync, spawn } from 'node:child_process';
import * as fs from 'node:fs';
import { createRequire } from 'node:module';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
export const ARTIFACTS = path.join(ROOT, '.test-artifacts');
export const EXTENSION_FOLDER = (() => {
  const pkg = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8'));
  return `${pkg.publisher}.${pkg.name}-${pkg.version}`;
})();

/** Runs scripts/install-code-server.sh (idempotent) and returns the code-server binary. */
export function installCodeServer() {
  const out = execFileSync(path.join(ROOT, 'scripts', 'install-code-server.sh'), { stdio: ['ignore', 'pipe', 'inherit'], encoding: 'utf8' });
  const bin = out.trim().split('\n').pop();
  if (!bin || !fs.existsSync(bin)) throw new Error(`install-code-server.sh did not give a code-server binary (got "${bin}")`);
  return bin;
}

/** playwright-core lives beside code-server in the cache (installed by the same script). */
export function playwright(codeServerBin) {
  const prefix = path.resolve(path.dirname(codeServerBin), '../..');
  return createRequire(path.join(prefix, 'package.json'))('playwright-core');
}

export async function freePort() {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

/** A scratch directory with ext/, data/ (user settings written) and work/ (the opened folder). */
export function scratch(name, settings) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), `diffusion-infill-${name}-`));
  for (const sub of ['ext', 'data/User', 'work']) fs.mkdirSync(path.join(dir, sub), { recursive: true });
  const base = {
    'workbench.startupEditor': 'none',
    'workbench.tips.enabled': false,
    'workbench.enableExperiments': false,
    'telemetry.telemetryLevel': 'off',
    'security.workspace.trust.enabled': false,
    'extensions.autoUpdate': false,
    'extensions.autoCheckUpdates': false,
    'update.mode': 'none',
    'chat.disableAIFeatures': true,
    'editor.minimap.enabled': false,
    'window.commandCenter': false,
  };
  fs.writeFileSync(path.join(dir, 'data/User/settings.json'), JSON.stringify({ ...base, ...settings }, null, 2));
  return { dir, ext: path.join(dir, 'ext'), data: path.join(dir, 'data'), work: path.join(dir, 'work') };
}

/** Starts code-server in its own process group; resolves once it answers HTTP. */
export async function startCodeServer(bin, dirs, env = {}, logFile) {
  const port = await freePort();
  const log = fs.openSync(logFile, 'w');
  const child = spawn(
    bin,
    [
      '--auth',
      'none',
      '--bind-addr',
      `127.0.0.1:${port}`,
      '--extensions-dir',
      dirs.ext,
      '--user-data-dir',
      dirs.data,
      '--disable-telemetry',
      '--disable-update-check',
      '--disable-workspace-trust',
      '--disable-getting-started-override',
      dirs.work,
    ],
    { env: { ...process.env, ...env }, stdio: ['ignore', log, log], detached: true },
  );
  const server = { child, port, url: `http://127.0.0.1:${port}/?folder=${encodeURIComponent(dirs.work)}` };
  const deadline = Date.now() + 60_000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`code-server exited with ${child.exitCode}: see ${logFile}`);
    try {
      const res = await fetch(`http://127.0.0.1:${port}/healthz`);
      if (res.ok) return server;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  stopCodeServer(server);
  throw new Error(`code-server did not answer within 60 s: see ${logFile}`);
}

/** Kills code-server and everything it started (extension host, watchers): its whole process group. */
export function stopCodeServer(server) {
  if (!server?.child?.pid) return;
  try {
    process.kill(-server.child.pid, 'SIGTERM');
  } catch {
    // already gone
  }
  setTimeout(() => {
    try {
      process.kill(-server.child.pid, 'SIGKILL');
    } catch {
      // already gone
    }
  }, 2000).unref();
}

export async function launchChromium(pw) {
  return pw.chromium.launch({
    executablePath: '/usr/bin/chromium',
    headless: true,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--disable-dev-shm-usage',
    ],
  });
}

/** Opens the workbench and waits until it is drawn (which also starts onStartupFinished extensions). */
export async function openWorkbench(browser, server) {
  const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
  // A busy machine can take longer than playwright's 30 s to serve the first page.
  await page.goto(server.url, { waitUntil: 'domcontentloaded', timeout: 120_000 });
  await page.waitForSelector('.monaco-workbench', { timeout: 120_000 });
  return page;
}

/** Runs a command from the palette; retried because the palette can miss keys while the workbench is still restoring. */
export async function runCommand(page, title) {
  for (let attempt = 1; ; attempt++) {
    await page.keyboard.press('Control+Shift+P');
    await page.waitForSelector('.quick-input-widget input', { state: 'visible' });
    await page.keyboard.type(title);
    try {
      await page.waitForSelector(`.quick-input-list .monaco-list-row[aria-label^="${title}"]`, { timeout: 5_000 });
      await page.keyboard.press('Enter');
      return;
    } catch (e) {
      await page.keyboard.press('Escape');
      if (attempt === 4) throw e;
    }
  }
}

/** Opens a workspace file with Quick Open. */
export async function quickOpen(page, name, timeout = 30_000) {
  await page.keyboard.press('Control+P');
  await page.waitForSelector('.quick-input-widget input', { state: 'visible' });
  await page.keyboard.type(name);
  await page.waitForSelector(`.quick-input-list .monaco-list-row[aria-label*="${name}"]`, { timeout });
  await page.keyboard.press('Enter');
}

export function summary(passed, failed) {
  return `${passed} passed, ${failed} failed`;
}
