// Runs the integration suite (out/test/vscode/suite) inside a real VS Code: code-server, with
// this repository as an unpacked extension, a browser to open the workbench (which activates the
// extension), and the suite started by the extension host (DIFFUSION_INFILL_TEST_ENTRY).
// Prints "N passed, N failed" on its own line; exits 1 on any failure.
import * as fs from 'node:fs';
import * as path from 'node:path';
import {
  ARTIFACTS,
  EXTENSION_FOLDER,
  installCodeServer,
  launchChromium,
  openWorkbench,
  playwright,
  ROOT,
  scratch,
  startCodeServer,
  stopCodeServer,
  summary,
} from './codeServer.mjs';
import { answerPageRequests, BRIDGE_VARIABLE } from './pageBridge.mjs';

// Room for the short soak at the end of the suite on a busy machine; a long one (npm run
// test:soak) sets its own limit in DIFFUSION_INFILL_SUITE_TIMEOUT_S.
const SUITE_TIMEOUT_MS = Number(process.env.DIFFUSION_INFILL_SUITE_TIMEOUT_S || 900) * 1000;
const started = Date.now();
const entry = path.join(ROOT, 'out/test/vscode/suite/index.js');
if (!fs.existsSync(entry)) {
  console.error(`${entry} is missing: run "tsc -p ." first (npm run test:vscode does)`);
  process.exit(1);
}
const artifacts = path.join(ARTIFACTS, 'vscode');
// This run's screenshots only: one left from an earlier run would pass for this one's.
fs.rmSync(artifacts, { recursive: true, force: true });
fs.mkdirSync(artifacts, { recursive: true });

const bin = installCodeServer();
const dirs = scratch('suite', {});
// The repository itself is the extension, linked where code-server looks for installed ones.
fs.symlinkSync(ROOT, path.join(dirs.ext, EXTENSION_FOLDER), 'dir');
const results = path.join(dirs.dir, 'results.json');
// The suite runs in the extension host, which cannot see the page: it asks here (pageBridge.mjs).
const bridge = path.join(dirs.dir, 'bridge');
fs.mkdirSync(bridge);

let server;
let browser;
let code = 1;
try {
  server = await startCodeServer(
    bin,
    dirs,
    { DIFFUSION_INFILL_TEST_ENTRY: entry, DIFFUSION_INFILL_TEST_RESULTS: results, [BRIDGE_VARIABLE]: bridge },
    path.join(artifacts, 'code-server.log'),
  );
  browser = await launchChromium(playwright(bin));
  const page = await openWorkbench(browser, server);
  const deadline = Date.now() + SUITE_TIMEOUT_MS;
  while (!fs.existsSync(results) && Date.now() < deadline) {
    await answerPageRequests(page, bridge, artifacts);
    await new Promise((r) => setTimeout(r, 50));
  }
  await page.screenshot({ path: path.join(artifacts, 'workbench-after-suite.png') }).catch(() => undefined);
  if (!fs.existsSync(results)) {
    console.error(`the suite wrote no results within ${SUITE_TIMEOUT_MS / 1000} s (did the extension activate? see .test-artifacts/vscode/)`);
    if (fs.existsSync(results + '.partial')) {
      for (const t of JSON.parse(fs.readFileSync(results + '.partial', 'utf8')).tests) console.error(`  before that: ${t.state} ${t.title}`);
    }
    console.log(summary(0, 1));
  } else {
    const report = JSON.parse(fs.readFileSync(results, 'utf8'));
    fs.copyFileSync(results, path.join(artifacts, 'results.json'));
    for (const t of report.tests) {
      console.log(`${t.state === 'passed' ? '  ok  ' : '  FAIL'} ${t.title}${t.durationMs !== undefined ? ` (${t.durationMs} ms)` : ''}`);
      if (t.error)
        console.log(
          t.error
            .split('\n')
            .map((l) => '        ' + l)
            .join('\n'),
        );
    }
    console.log(summary(report.passed, report.failed));
    code = report.failed === 0 && report.passed > 0 ? 0 : 1;
  }
} catch (e) {
  console.error(e instanceof Error ? e.stack : e);
  console.log(summary(0, 1));
} finally {
  await browser?.close().catch(() => undefined);
  stopCodeServer(server);
  copyLogs(dirs.data, artifacts);
  // Unlink the link to the repository first, so that removing the scratch folder cannot reach it.
  fs.unlinkSync(path.join(dirs.ext, EXTENSION_FOLDER));
  fs.rmSync(dirs.dir, { recursive: true, force: true });
  console.error(`integration suite: ${((Date.now() - started) / 1000).toFixed(1)} s`);
}
process.exit(code);

/** The extension host's log and our output channel, kept as artefacts for a failed run. */
function copyLogs(dataDir, to) {
  const logs = path.join(dataDir, 'logs');
  if (!fs.existsSync(logs)) return;
  fs.cpSync(logs, path.join(to, 'logs'), { recursive: true });
}
