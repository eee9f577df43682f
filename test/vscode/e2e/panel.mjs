// End to end in Chromium: the Drafts panel follows a Fill Selection step by step (read inside the
// webview's nested iframes), its replay slider moves the canvas back through the steps, and a
// Repair Function opens its diff, which the panel's Accept applies. Screenshots are kept in
// .test-artifacts/e2e-panel/ (e2e-panel-bundled/ with E2E_MODEL=bundled, which runs the bundled
// model instead of the test fixture, as for the README's pictures). Needs `npm run build` first
// (npm run test:e2e:panel does it).
// Prints "N passed, N failed" on its own line; exits 1 on any failure.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import {
  ARTIFACTS,
  EXTENSION_FOLDER,
  installCodeServer,
  launchChromium,
  openWorkbench,
  playwright,
  quickOpen,
  ROOT,
  runCommand,
  scratch,
  startCodeServer,
  stopCodeServer,
  summary,
} from '../codeServer.mjs';

const bundled = process.env.E2E_MODEL === 'bundled';
const MODEL = path.join(ROOT, bundled ? 'models/bundled' : 'test/fixtures/tiny-model');
const MODEL_NAME = JSON.parse(fs.readFileSync(path.join(MODEL, 'model.json'), 'utf8')).name;
/** Many tokens and one step each: the fill takes long enough to be watched while it runs (the bundled model's context is 256 tokens). */
const STEPS = bundled ? 96 : 400;
const FILL_FILE = 'table.js';
const FILL_TEXT = `// a lookup table\nconst table = [\n  <|hole:${STEPS}|>\n];\nexport default table;\n`;
const REPAIR_FILE = 'geometry.py';
const REPAIR_TEXT = 'import math\n\n\ndef hypotenuse(a, b):\n    squares = a * a + b * b\n    return math.sqrt(squares)\n\n\nprint(hypotenuse(3, 4))\n';

const artifacts = path.join(ARTIFACTS, bundled ? 'e2e-panel-bundled' : 'e2e-panel');
fs.rmSync(artifacts, { recursive: true, force: true });
fs.mkdirSync(artifacts, { recursive: true });
if (!fs.existsSync(path.join(ROOT, 'dist/extension.js'))) {
  console.error('dist/extension.js is missing: run "npm run build" first');
  process.exit(1);
}

const bin = installCodeServer();
const dirs = scratch('panel', {
  'diffusionInfill.model.source': 'folder',
  'diffusionInfill.model.folder': MODEL,
  'diffusionInfill.sampler.steps': STEPS,
  'diffusionInfill.refactor.repairTokens': 10,
  // The panel's mechanics: a random model's fills seldom parse, and the syntax check would hold them back.
  'diffusionInfill.syntaxCheck': false,
  // One column of diff, which a cropped screenshot can hold.
  'diffEditor.renderSideBySide': false,
  // Only the generations under test: no inline completions while the test types.
  'editor.inlineSuggest.enabled': false,
  'diffusionInfill.inline.enabled': false,
});
fs.symlinkSync(ROOT, path.join(dirs.ext, EXTENSION_FOLDER), 'dir');
fs.writeFileSync(path.join(dirs.work, FILL_FILE), FILL_TEXT);
fs.writeFileSync(path.join(dirs.work, REPAIR_FILE), REPAIR_TEXT);

const results = [];
let server;
let browser;
let page;
try {
  server = await startCodeServer(bin, dirs, {}, path.join(artifacts, 'code-server.log'));
  browser = await launchChromium(playwright(bin));
  page = await openWorkbench(browser, server);
  await page.waitForTimeout(3000);

  await runCommand(page, 'Diffusion Infill: Show Drafts Panel');
  const panel = await panelFrame(page);
  let idleAccept;
  await test('the panel opens in its own container, idle, with its strict page', async () => {
    assert.equal(await panel.locator('#kind').textContent(), 'idle');
    // One name, said once: the container and the view used to read "DIFFUSION DRAFTS: DRAFTS".
    const title = (await page.locator('.part.sidebar .composite.title .title-label').first().textContent()).trim();
    assert.equal(title.toUpperCase(), 'DIFFUSION INFILL: DRAFTS', `the side bar's title reads ${JSON.stringify(title)}`);
    assert.equal(await panel.locator('#accept').isDisabled(), true);
    // The webview's own document: no inline script ran (the policy would block it) and the script loaded.
    assert.ok((await panel.locator('#figures').count()) === 1);
    assert.equal(await panel.locator('#replay').isDisabled(), true);
  });

  await test('the panel shows the timeline grow while a Fill Selection runs, then the figures', async () => {
    await openFile(page, FILL_FILE);
    await page.keyboard.press('Control+A');
    await runCommand(page, 'Diffusion Infill: Fill Selection');
    const samples = [];
    let midShot = false;
    const deadline = Date.now() + 120_000;
    for (;;) {
      const sample = await panel.evaluate(() => ({
        ticks: document.querySelectorAll('#timeline .tick').length,
        status: document.getElementById('status').dataset.status ?? '',
        kind: document.getElementById('kind').textContent,
        masks: document.querySelectorAll('#canvas .mask').length,
        tokens: document.querySelectorAll('#canvas .token').length,
      }));
      samples.push(sample);
      if (!midShot && sample.status === 'running' && sample.ticks >= STEPS * 0.3) {
        midShot = true;
        await page.screenshot({ path: path.join(artifacts, 'panel-mid-generation-window.png') });
        // The walkthrough and the README show it: the panel and the start of the editor, at a size that reads.
        await page.screenshot({ path: path.join(artifacts, 'panel-mid-generation.png'), clip: await besidePanel(page, 500, 600) });
      }
      if (sample.status === 'done' || sample.status === 'failed' || sample.status === 'cancelled') break;
      assert.ok(Date.now() < deadline, 'the fill did not end within 120 s');
      await page.waitForTimeout(40);
    }
    fs.writeFileSync(path.join(artifacts, 'fill-samples.json'), JSON.stringify(samples, null, 1));
    const last = samples[samples.length - 1];
    assert.equal(last.status, 'done');
    assert.equal(last.kind, 'Fill Selection');
    const running = samples.filter((s) => s.status === 'running' && s.ticks > 0);
    assert.ok(running.length >= 2, `the timeline was seen mid-generation at least twice (saw ${running.length})`);
    const counts = running.map((s) => s.ticks);
    assert.ok(
      counts.every((c, i) => i === 0 || c >= counts[i - 1]),
      'the timeline only grows',
    );
    assert.ok(counts[counts.length - 1] > counts[0], `the timeline grew while running (${counts[0]} → ${counts[counts.length - 1]})`);
    assert.ok(
      running.some((s) => s.masks > 0 && s.tokens > 0),
      'a draft mid-way shows committed tokens and masked ones',
    );
    assert.equal(last.masks, 0, 'the last draft has nothing masked');
    const canvas = await panel.locator('#canvas').textContent();
    assert.equal(await panel.locator('#canvas .token.special').count(), 0, 'no end or pad token is drawn once the fill is done');
    assert.ok(!canvas.includes('<|') && !canvas.includes('░'), `the done canvas holds no special token and no mask: ${JSON.stringify(canvas.slice(0, 300))}`);
    assert.equal(last.ticks, Number(await panel.locator('dd[data-figure="Steps"]').textContent()), 'a tick per step');
    assert.equal(await panel.locator('dd[data-figure="Model"]').textContent(), MODEL_NAME);
    assert.match(await panel.locator('dd[data-figure="Confidence"]').textContent(), /^[01]\.\d\d$/, "the fill's confidence");
    assert.ok(midShot, 'a screenshot was taken mid-generation');
    await page.screenshot({ path: path.join(artifacts, 'panel-after-fill.png') });
  });

  await test('the replay slider moves the canvas back through the steps and forward again', async () => {
    const finalText = await panel.locator('#canvas').textContent();
    const slider = panel.locator('#replay');
    assert.equal(await slider.isDisabled(), false);
    await slider.focus();
    await slider.press('Home');
    assert.match(await panel.locator('#stepLabel').textContent(), /^step 1 \//);
    const firstText = await panel.locator('#canvas').textContent();
    assert.notEqual(firstText, finalText, 'step 1 shows a different canvas');
    const masksAtFirst = await panel.locator('#canvas .mask').count();
    assert.ok(masksAtFirst > STEPS / 2, `most of the hole is masked at step 1 (${masksAtFirst})`);
    // PageUp moves a tenth of the way: three of them land about a third of the way through.
    for (let i = 0; i < 3; i++) await slider.press('PageUp');
    const masksLater = await panel.locator('#canvas .mask').count();
    assert.ok(masksLater < masksAtFirst, `moving the slider on unmasks tokens (${masksAtFirst} → ${masksLater})`);
    await page.screenshot({ path: path.join(artifacts, 'panel-replay.png') });
    await panel.locator('#colorBy').selectOption('confidence');
    await page.screenshot({ path: path.join(artifacts, 'panel-replay-confidence.png') });
    await panel.locator('#colorBy').selectOption('step');
    await slider.press('End');
    assert.equal(await panel.locator('#canvas').textContent(), finalText, 'at the end the final canvas is back');
  });

  await test("Repair Function opens a diff, the panel follows it, and the panel's Accept applies it", async () => {
    // Read now, with the page's styles long loaded: Accept waits, disabled, for a proposal.
    assert.equal(await panel.locator('#accept').isDisabled(), true);
    idleAccept = await buttonLook(panel, '#accept');
    await openFile(page, REPAIR_FILE);
    await repairFunctionAtLine5(page, panel);
    assert.equal(await panel.locator('#kind').textContent(), 'Refactor');
    assert.equal(await panel.locator('#accept').textContent(), 'Accept repair');
    const enabledAccept = await buttonLook(panel, '#accept');
    assert.ok(idleAccept, 'the idle look of Accept was read');
    assert.notEqual(idleAccept.background, enabledAccept.background, `a disabled Accept does not wear the enabled one's colour (${idleAccept.background})`);
    assert.ok(idleAccept.opacity < 0.7, `a disabled Accept is faded (opacity ${idleAccept.opacity})`);
    await page.waitForTimeout(800);
    await page.screenshot({ path: path.join(artifacts, 'repair-diff-window.png') });
    await page.screenshot({ path: path.join(artifacts, 'repair-diff.png'), clip: await besidePanel(page, 700, 400) });
    // The diff's title bar carries Accept and Reject.
    assert.ok((await page.locator('.editor-actions [aria-label*="Accept"]').count()) >= 1, 'Accept is in the diff editor title');
    assert.ok((await page.locator('.editor-actions [aria-label*="Reject"]').count()) >= 1, 'Reject is in the diff editor title');
    await panel.locator('#accept').click();
    await page.waitForSelector('.monaco-diff-editor', { state: 'detached', timeout: 30_000 });
    await panel.locator('#accept[disabled]').waitFor({ timeout: 10_000 });
    await panel.locator('#status:text("accepted")').waitFor({ timeout: 10_000 });
  });

  await test('after a Reject the panel says the proposal was rejected, not "done"', async () => {
    await openFile(page, REPAIR_FILE);
    // One undo takes back the accepted repair (a model's repair may have left no function to repair).
    await page.click('.monaco-editor .view-lines');
    await page.keyboard.press('Control+Z');
    await page.waitForFunction(
      () =>
        document
          .querySelector('.monaco-editor .view-lines')
          ?.textContent?.replace(/\u00a0/g, ' ')
          .includes('squares = a * a + b * b'),
      undefined,
      { timeout: 10_000 },
    );
    await repairFunctionAtLine5(page, panel);
    assert.match(await panel.locator('#status').textContent(), /^done/);
    await runCommand(page, 'Diffusion Infill: Reject');
    await page.waitForSelector('.monaco-diff-editor', { state: 'detached', timeout: 30_000 });
    await panel.locator('#accept[disabled]').waitFor({ timeout: 10_000 });
    const status = await panel.locator('#status').textContent();
    assert.match(status, /rejected/, `the status reads ${JSON.stringify(status)}`);
    assert.doesNotMatch(status, /done/);
    await page.screenshot({ path: path.join(artifacts, 'panel-rejected.png') });
  });

  await test("the walkthrough opens from Help: Welcome, with its steps and its first step's page", async () => {
    await runCommand(page, 'Welcome: Open Walkthrough');
    await page.keyboard.type('Diffusion Infill basics');
    await page.waitForSelector('.quick-input-list .monaco-list-row[aria-label*="Diffusion Infill basics"]', { timeout: 15_000 });
    await page.keyboard.press('Enter');
    await page.waitForFunction(() => document.body.innerText.includes('What a hole is'), undefined, { timeout: 30_000 });
    const text = await page.evaluate(() => document.querySelector('.gettingStartedContainer')?.textContent ?? document.body.innerText);
    assert.ok(!text.includes('\\**') && !text.includes('`'), "the steps' text shows no markup (a broken escape, a code span's backticks)");
    for (const step of [
      'What a hole is',
      'Inline completions as you type',
      'Fill Selection',
      'Rewrite Function and Repair Function',
      'Drafts panel',
      'Get a real model',
    ]) {
      assert.ok(text.includes(step), `the walkthrough has the step "${step}"`);
    }
    // A step with nothing to do is ticked off when shown, and the next one opens: open the first again.
    await page.locator('.getting-started-step .step-title', { hasText: 'What a hole is' }).first().click();
    // Its page is markdown drawn in a webview: found among the frames once loaded.
    let rendered = false;
    for (let t = 0; t < 40 && !rendered; t++) {
      for (const frame of page.frames()) {
        if (await frame.evaluate(() => document.body?.innerText.includes('A hole is a place in your code')).catch(() => false)) rendered = true;
      }
      if (!rendered) await page.waitForTimeout(500);
    }
    await page.screenshot({ path: path.join(artifacts, 'walkthrough.png') });
    assert.ok(rendered, "the first step's page (media/walkthrough/holes.md) is drawn");
  });

  await test('the Settings editor renders Markdown, starts with the model source, and labels the default algorithm', async () => {
    await runCommand(page, 'Diffusion Infill: Open Settings');
    await page.waitForSelector('.settings-editor .setting-item-contents', { timeout: 30_000 });
    await page.waitForTimeout(1000);
    const rows = await page.evaluate(() =>
      [...document.querySelectorAll('.settings-editor .settings-tree-container .setting-item-contents')].map((r) => ({
        title: r.querySelector('.setting-item-title')?.textContent ?? '',
        description: r.querySelector('.setting-item-description')?.textContent ?? '',
      })),
    );
    await page.screenshot({ path: path.join(artifacts, 'settings.png') });
    assert.ok(rows.length >= 4, `settings rows shown: ${rows.length}`);
    assert.match(rows[0].title, /Source/, `the first setting is the model source (${rows[0].title})`);
    assert.match(
      rows[3].title,
      /Server: Url/,
      `the server's URL comes right after the downloaded model and the folder (${rows.map((r) => r.title).join(' | ')})`,
    );
    for (const r of rows) assert.ok(!r.description.includes('`'), `${r.title}: backticks render as code, not as text`);
    // The algorithm's default (null) shows under its label.
    await page.click('.settings-editor .suggest-input-container');
    await page.keyboard.press('Control+A');
    await page.keyboard.type('diffusionInfill.sampler.algorithm');
    await page.waitForFunction(
      () => [...document.querySelectorAll('.settings-editor .setting-item-title')].some((t) => /Algorithm/.test(t.textContent ?? '')),
      undefined,
      { timeout: 15_000 },
    );
    await page.waitForTimeout(500);
    const algorithm = await page.evaluate(() => {
      const row = [...document.querySelectorAll('.settings-editor .setting-item-contents')].find((r) =>
        /Algorithm/.test(r.querySelector('.setting-item-title')?.textContent ?? ''),
      );
      const select = row?.querySelector('select');
      return {
        shown: select ? select.options[select.selectedIndex]?.text : row?.querySelector('.monaco-select-box')?.textContent,
        options: select ? [...select.options].map((o) => o.text) : [],
      };
    });
    await page.screenshot({ path: path.join(artifacts, 'settings-algorithm.png') });
    assert.equal(algorithm.shown, "Model's default", `the algorithm setting shows ${JSON.stringify(algorithm)}`);
    assert.ok(!algorithm.options.includes('null'), `no "null" choice: ${algorithm.options.join(', ')}`);
  });
} catch (e) {
  results.push({ title: 'setup', error: e instanceof Error ? e.stack : String(e) });
  await page?.screenshot({ path: path.join(artifacts, 'failure.png') }).catch(() => undefined);
} finally {
  await browser?.close().catch(() => undefined);
  stopCodeServer(server);
  fs.rmSync(dirs.dir, { recursive: true, force: true });
}
for (const r of results) {
  console.log(`${r.error ? '  FAIL' : '  ok  '} ${r.title}`);
  if (r.error)
    console.log(
      r.error
        .split('\n')
        .map((l) => '        ' + l)
        .join('\n'),
    );
}
const failed = results.filter((r) => r.error).length;
console.log(summary(results.length - failed, failed));
process.exit(failed === 0 && results.length > 0 ? 0 : 1);

async function test(title, body) {
  try {
    await body();
    results.push({ title });
  } catch (e) {
    results.push({ title, error: e instanceof Error ? e.stack : String(e) });
    await page.screenshot({ path: path.join(artifacts, `failure-${results.length}.png`) }).catch(() => undefined);
  }
}

/** Opens a workspace file by name through Quick Open and waits for its tab. */
async function openFile(page, name) {
  await quickOpen(page, name, 15_000);
  await page.waitForSelector(`.tab.active[aria-label*="${name}"]`, { timeout: 15_000 });
  await page.waitForTimeout(300);
}

/** How a button is drawn: its computed background and opacity. */
/** Repair Function with the cursor on line 5 of the open file, until the diff is shown and the panel's Accept is enabled. */
async function repairFunctionAtLine5(page, panel) {
  await page.keyboard.press('Control+G');
  await page.keyboard.type('5');
  await page.keyboard.press('Enter');
  await runCommand(page, 'Diffusion Infill: Repair Function');
  await page.waitForSelector('.monaco-diff-editor', { timeout: 60_000 });
  await panel.locator('#accept:not([disabled])').waitFor({ timeout: 30_000 });
}

async function buttonLook(frame, selector) {
  return frame.evaluate((sel) => {
    const style = getComputedStyle(document.querySelector(sel));
    return { background: style.backgroundColor, opacity: Number(style.opacity) };
  }, selector);
}

/**
 * The Drafts view's document. VS Code puts a webview in two iframes: its host frame, and inside
 * it the active frame that holds our page; Playwright lists both among the page's frames.
 */
async function panelFrame(page) {
  const deadline = Date.now() + 60_000;
  while (Date.now() < deadline) {
    for (const frame of page.frames()) {
      const found = await frame.$('#timeline').catch(() => null);
      if (found) return frame;
    }
    await page.waitForTimeout(250);
  }
  throw new Error('the Drafts webview did not appear within 60 s');
}

/** The side bar (the Drafts panel) and the editor's first columns. */
async function besidePanel(page, width, height) {
  const bar = await page.locator('.part.sidebar').first().boundingBox();
  return { x: bar.x, y: bar.y, width, height };
}
