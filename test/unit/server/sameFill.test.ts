import * as assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { DraftEvent, InfillEvent, ResultEvent, validateHoles } from '../../../src/core';
import { infillBody } from '../../../src/core/protocol';
import { openConfiguredEngine } from '../../../src/extension/engineSource';
import { inlineRequest } from '../../../src/extension/inline/completionContext';
import { readSettings } from '../../../src/extension/settings';
import { DIST_CLI, Served, startServe, TINY } from '../support/server';

// At this place, with these settings, the tiny model ends its fill with a space the fill rules take off.
const BEFORE = 'a = [1, 2, ';
const AFTER = ']\n';
const SETTINGS: Record<string, unknown> = {
  'model.source': 'folder',
  'model.folder': TINY,
  'sampler.steps': 6,
  'sampler.temperature': 2,
  'context.tokens': 1024,
  'inline.holeTokens': 24,
  'inline.minConfidence': 0.3,
};

/** The result with its timings zeroed: the one part of it that may differ between two runs. */
function comparable(result: ResultEvent): ResultEvent {
  return { ...result, stats: { ...result.stats, elapsedMs: 0, msPerStep: 0 } };
}

function lastDraft(events: InfillEvent[]): DraftEvent {
  return events.filter((e): e is DraftEvent => e.type === 'draft').at(-1)!;
}

describe('the same request gives the same fill in the editor, over HTTP and from the CLI', () => {
  let served: Served;
  before(async () => {
    served = await startServe(['--model', TINY]);
  });
  after(async () => {
    const code = await served?.stop();
    assert.equal(code, 0, `serve did not stop cleanly: ${served?.stderr()}`);
  });

  it('cleans and judges the fill once, in core, whoever asks', async () => {
    // The editor: its settings, its request at the cursor, the engine it opens.
    const settings = readSettings((key) => SETTINGS[key]);
    const { request, options } = inlineRequest(BEFORE + AFTER, BEFORE.length, settings, 'file:///same.py');
    const engine = await openConfiguredEngine(settings.model, () => undefined);
    const editorEvents: InfillEvent[] = [];
    for await (const event of engine.infill(request, options)) editorEvents.push(event);
    const editor = editorEvents.at(-1) as ResultEvent;

    // An HTTP client: the same request as a POST /v1/infill body.
    const response = await fetch(`${served.url}/v1/infill`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify(infillBody(request, validateHoles(request), options)),
    });
    assert.equal(response.status, 200);
    const httpEvents = (await response.text())
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as InfillEvent);
    const http = httpEvents.at(-1) as ResultEvent;

    // The CLI: the cursor as a marker in a file, the settings as flags.
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'same-fill-'));
    let cli: ResultEvent;
    try {
      const file = path.join(dir, 'same.py');
      fs.writeFileSync(file, `${BEFORE}<|hole|>${AFTER}`);
      const flags = ['--steps', '6', '--temperature', '2', '--context-tokens', '1024', '--hole-tokens', '24', '--min-confidence', '0.3'];
      const run = spawnSync(process.execPath, [DIST_CLI, 'fill', file, '--model', TINY, '--json', ...flags], { encoding: 'utf8', timeout: 60000 });
      assert.equal(run.status, 0, run.stderr);
      cli = JSON.parse(run.stdout.trim().split('\n').at(-1)!) as ResultEvent;
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }

    assert.equal(lastDraft(editorEvents).holes[0].text.endsWith(' '), true, 'the model wrote a trailing space');
    assert.equal(editor.holes[0].text, lastDraft(editorEvents).holes[0].text.trimEnd(), 'the rules took it off');
    assert.equal(editor.holes[0].heldBack, true, 'the tiny model is unsure of everything: under 0.3 it is held back');
    assert.equal(editor.text, BEFORE + editor.holes[0].text + AFTER);
    assert.deepEqual(comparable(http), comparable(editor), 'HTTP');
    assert.deepEqual(comparable(cli), comparable(editor), 'CLI');
  });
});
