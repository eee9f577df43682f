import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { DiffusionInfillApi } from '../../../src/extension/extension';
import { FillOutcome } from '../../../src/extension/fill/fillSelection';
import { applyFills, Span } from '../../../src/core';
import { holesFromSelections } from '../../../src/extension/fill/selectionHoles';
import { GenerationKind } from '../../../src/extension/generations';
import { ProposalOutcome } from '../../../src/extension/refactor/proposals';
import { RefactorOutcome } from '../../../src/extension/refactor/refactorFunction';
import { extensionApi, openEditor, setEditorInlineSuggest, setSetting, useFixtureModel } from './helpers';
import { Rng, seeded, SOAK_ACTIONS, SoakAction, SoakReport, SoakTally } from './soakPlan';

/**
 * The randomized soak: generations (Fill Selection, Rewrite, inline) with the user's edits, cursor
 * moves, tab switches, closes, undos and cancels at random moments. After each, every change the
 * extension (or an inline accept) made to any document is checked: none, or exactly the fill into
 * the text it was asked about, and one undo takes it back. npm test runs a few; npm run test:soak
 * runs DIFFUSION_INFILL_SOAK_N of them and writes .test-artifacts/vscode/soak.json.
 */
const N = Number(process.env.DIFFUSION_INFILL_SOAK_N || 10);
const SEED = Number(process.env.DIFFUSION_INFILL_SOAK_SEED || 1);
const REPORT = path.resolve(__dirname, '../../../../.test-artifacts/vscode/soak.json');

const PROGRAM = [
  'const limit = 10;',
  '',
  'function clamp(value, low, high) {',
  '  if (value < low) return low;',
  '  return Math.min(value, high);',
  '}',
  '',
  'function sum(items) {',
  '  let total = 0;',
  '  for (const item of items) total += item;',
  '  return total;',
  '}',
  '',
  'const x = <|hole:6|>;',
  'console.log(clamp(sum([1, 2, 3]), 0, limit));',
  '',
].join('\n');
const FILES = 3;
/** A document past this length is set back to PROGRAM, so that fills of gibberish do not pile up. */
const RESET_LENGTH = 3000;

interface Change {
  uri: string;
  /** Undo, redo or an edit of the soak's own; the rest were made by the extension or by an inline accept. */
  own: boolean;
  before: string;
  after: string;
  changes: { offset: number; length: number; text: string }[];
}

describe('soak: random generations with the user at work', () => {
  let api: DiffusionInfillApi;
  const uris: vscode.Uri[] = [];
  const shadow = new Map<string, string>();
  const changes: Change[] = [];
  /** Edits of the soak's own not yet seen as a change: "uri offset length text". */
  const ownPending = new Set<string>();
  let watch: vscode.Disposable;

  before(async () => {
    api = await extensionApi();
    await useFixtureModel();
    // The fixture's random fills seldom parse: the syntax check has tests of its own (syntaxGate.test.ts).
    await setSetting('syntaxCheck', false);
    await setSetting('inline.debounceMs', 0);
    await setSetting('inline.minConfidence', 0);
    await setSetting('context.tokens', 256);
    await setEditorInlineSuggest(true);
    for (let i = 0; i < FILES; i++) {
      const editor = await openEditor(PROGRAM);
      uris.push(editor.document.uri);
      shadow.set(editor.document.uri.toString(), PROGRAM);
    }
    watch = vscode.Disposable.from(
      vscode.workspace.onDidChangeTextDocument((e) => {
        const uri = e.document.uri.toString();
        if (!shadow.has(uri) || e.contentChanges.length === 0) return;
        const before = shadow.get(uri)!;
        const after = e.document.getText();
        shadow.set(uri, after);
        const list = e.contentChanges.map((c) => ({ offset: c.rangeOffset, length: c.rangeLength, text: c.text }));
        const key = list.length === 1 ? `${uri} ${list[0].offset} ${list[0].length} ${list[0].text}` : '';
        const own = e.reason !== undefined || ownPending.delete(key);
        changes.push({ uri, own, before, after, changes: list });
      }),
      vscode.workspace.onDidOpenTextDocument((d) => {
        if (shadow.has(d.uri.toString())) shadow.set(d.uri.toString(), d.getText());
      }),
    );
  });

  after(async () => {
    watch?.dispose();
    await vscode.commands.executeCommand('diffusionInfill.rejectProposal');
    await vscode.workspace.saveAll(false);
    await vscode.commands.executeCommand('workbench.action.closeAllEditors');
    await setEditorInlineSuggest(undefined);
    for (const key of ['inline.debounceMs', 'inline.minConfidence', 'context.tokens']) await setSetting(key, undefined);
  });

  /** An edit by "the user": a workspace edit, so that it reaches a document whose editor is hidden. */
  async function userEdit(uri: vscode.Uri, offset: number, length: number, text: string): Promise<void> {
    const document = await vscode.workspace.openTextDocument(uri);
    const start = Math.min(offset, document.getText().length);
    const end = Math.min(start + length, document.getText().length);
    ownPending.add(`${uri.toString()} ${start} ${end - start} ${text}`);
    const edit = new vscode.WorkspaceEdit();
    edit.replace(uri, new vscode.Range(document.positionAt(start), document.positionAt(end)), text);
    await vscode.workspace.applyEdit(edit);
  }

  async function show(uri: vscode.Uri): Promise<vscode.TextEditor> {
    return vscode.window.showTextDocument(await vscode.workspace.openTextDocument(uri), { preview: false });
  }

  /** Resolves at the kth draft of the next generation of a kind, at its end, or after a while, whichever is first. */
  function moment(kind: GenerationKind, k: number, ms: number): Promise<void> {
    return new Promise((resolve) => {
      let drafts = 0;
      const done = () => {
        subscriptions.forEach((s) => s.dispose());
        clearTimeout(timer);
        resolve();
      };
      const timer = setTimeout(done, ms);
      const subscriptions = [
        api.generations.onDidEvent((e) => e.kind === kind && e.event.type === 'draft' && ++drafts > k && done()),
        api.generations.onDidEnd((e) => e.kind === kind && done()),
      ];
    });
  }

  async function disturb(action: SoakAction, target: vscode.Uri, rng: Rng, i: number): Promise<void> {
    const other = uris[(uris.indexOf(target) + 1 + rng.int(FILES - 1)) % FILES];
    const length = (await vscode.workspace.openTextDocument(target)).getText().length;
    switch (action) {
      case 'none':
        return;
      case 'type':
        return userEdit(target, rng.int(length + 1), 0, `/*u${i}*/`);
      case 'delete':
        return userEdit(target, rng.int(length + 1), 1 + rng.int(8), '');
      case 'typeElsewhere':
        return userEdit(other, 0, 0, `/*o${i}*/`);
      case 'moveCursor': {
        const editor = vscode.window.visibleTextEditors.find((e) => e.document.uri.toString() === target.toString());
        if (editor) {
          const at = editor.document.positionAt(rng.int(length + 1));
          editor.selection = new vscode.Selection(at, at);
        }
        return;
      }
      case 'switchTab':
        await show(other);
        return;
      case 'close': {
        // Saved first: closing a dirty file would wait on "Save?".
        const document = await vscode.workspace.openTextDocument(target);
        await document.save();
        await show(target);
        await vscode.commands.executeCommand('workbench.action.closeActiveEditor');
        return;
      }
      case 'undo':
        await vscode.commands.executeCommand('undo');
        return;
      case 'cancel':
        await vscode.commands.executeCommand('diffusionInfill.cancel');
        return;
    }
  }

  it(`${N} generations keep every document untouched or exactly filled, in one undo step`, async function () {
    this.timeout(60_000 + N * 30_000);
    const rng = seeded(SEED);
    const tally = new SoakTally();
    const failures: string[] = [];

    for (let i = 0; i < N; i++) {
      const target = uris[rng.int(FILES)];
      let editor = await show(target);
      if (editor.document.getText().length > RESET_LENGTH || !editor.document.getText().includes('function')) {
        await userEdit(target, 0, editor.document.getText().length, PROGRAM);
      }
      const kind = rng.pick(['fill', 'fill', 'rewrite', 'inline'] as const);
      const action = rng.pick(SOAK_ACTIONS);
      const draftsBefore = rng.int(4);
      const text = editor.document.getText();
      const from = changes.length;
      let outcome = '';
      let expectWrite: ((before: string) => string) | undefined;
      let allowed = 0;

      if (kind === 'fill') {
        const spans = fillSpans(text, rng);
        editor.selections = spans.map((s) => new vscode.Selection(editor.document.positionAt(s.start), editor.document.positionAt(s.end)));
        let holes: ReturnType<typeof holesFromSelections> | undefined;
        try {
          holes = holesFromSelections(text, spans);
        } catch {
          holes = undefined;
        }
        const run = Promise.resolve(vscode.commands.executeCommand<FillOutcome>('diffusionInfill.fillSelection'));
        const disturbed = moment('fill', draftsBefore, 2000).then(() => disturb(action, target, rng, i));
        const result = await run;
        await disturbed;
        outcome = result?.status ?? 'undefined';
        if (result?.status === 'applied' && holes) {
          const fills = result.fills;
          const replaces = holes.replaces;
          // Empty fills at cursors (the fixture's random bytes that make no character) change nothing: no write comes.
          allowed = applyFills(text, replaces, fills) === text ? 0 : 1;
          expectWrite = (before) => (before === text ? applyFills(text, replaces, fills) : '<written into another version>');
        }
      } else if (kind === 'rewrite') {
        const cursor = rewriteCursor(text, rng);
        editor.selection = new vscode.Selection(editor.document.positionAt(cursor), editor.document.positionAt(cursor));
        const run = Promise.resolve(vscode.commands.executeCommand<RefactorOutcome>('diffusionInfill.rewriteFunction'));
        const disturbed = moment('refactor', draftsBefore, 2000).then(() => disturb(action, target, rng, i));
        const result = await run;
        await disturbed;
        outcome = result?.status ?? 'undefined';
        if (result?.status === 'proposed') {
          const decision = rng.pick(['accept', 'accept', 'reject', 'typeThenAccept'] as const);
          if (decision === 'typeThenAccept') await userEdit(target, 0, 0, `/*a${i}*/`);
          const answer = await vscode.commands.executeCommand<ProposalOutcome>(
            decision === 'reject' ? 'diffusionInfill.rejectProposal' : 'diffusionInfill.acceptProposal',
          );
          outcome += `/${decision}:${answer.status}`;
          if (answer.status === 'applied') {
            allowed = 1;
            const { whole, replacement } = result;
            expectWrite = (before) => (before === text ? text.slice(0, whole.start) + replacement + text.slice(whole.end) : '<written into another version>');
          }
        }
      } else {
        const line = rng.int(editor.document.lineCount);
        const at = editor.document.lineAt(line).range.end;
        editor.selection = new vscode.Selection(at, at);
        const ended = moment('inline', 1_000_000, 5000);
        await vscode.commands.executeCommand('editor.action.inlineSuggest.trigger');
        const disturbed = moment('inline', draftsBefore, 2000).then(() => disturb(action, target, rng, i));
        await ended;
        await disturbed;
        await sleep(100);
        const length = editor.document.getText().length;
        await vscode.commands.executeCommand('editor.action.inlineSuggest.commit');
        await sleep(50);
        outcome = editor.document.getText().length !== length ? 'accepted' : 'nothing shown';
        // An accepted inline completion is one insertion into the text it was shown in.
        allowed = 1;
        expectWrite = undefined;
      }
      api.generations.cancel();
      await sleep(20);

      const problems = checkChanges(changes.slice(from), target.toString(), allowed, expectWrite, kind === 'inline');
      const write = changes.slice(from).find((c) => !c.own);
      if (problems.length === 0 && write && !changes.slice(changes.indexOf(write) + 1).some((c) => c.uri === write.uri)) {
        // One undo step takes the write back, and a redo puts it again.
        editor = await show(vscode.Uri.parse(write.uri));
        await vscode.commands.executeCommand('undo');
        if (editor.document.getText() !== write.before) problems.push('one undo did not restore the text before the write');
        else if (rng.int(2) === 0) {
          await vscode.commands.executeCommand('redo');
          if (editor.document.getText() !== write.after) problems.push('redo did not put the write back');
        }
      }
      tally.add(kind, action, outcome, problems.length > 0);
      if (problems.length > 0) failures.push(`#${i} ${kind} ${action}@${draftsBefore} -> ${outcome}: ${problems.join('; ')}`);
      // After every generation: a soak stopped early still reports what it ran.
      writeReport({ n: N, done: i + 1, seed: SEED, corrupted: failures.length, failures: failures.slice(0, 50), ...tally.toJSON() });
    }
    assert.deepEqual(failures, [], `${failures.length} of ${N} generations left a document corrupted (see ${REPORT})`);
  });
});

function writeReport(report: SoakReport): void {
  fs.mkdirSync(path.dirname(REPORT), { recursive: true });
  fs.writeFileSync(REPORT, JSON.stringify(report, null, 2));
}

/** What may have happened to the documents during one generation; a list of what went wrong. */
function checkChanges(seen: Change[], target: string, allowed: number, expectWrite: ((before: string) => string) | undefined, inline: boolean): string[] {
  const problems: string[] = [];
  const writes = seen.filter((c) => !c.own);
  if (writes.length > allowed) problems.push(`${writes.length} writes (at most ${allowed} expected)`);
  if (!inline && allowed === 1 && writes.length === 0) problems.push('the outcome says written but no write came');
  for (const w of writes) {
    if (w.uri !== target) problems.push(`a write into another document (${w.uri})`);
    if (inline) {
      // One insertion a cursor: with several cursors (an undo brings back those of an earlier
      // multi-cursor fill) VS Code inserts the accepted text at each of them.
      const insertions = w.changes.every((c) => c.length === 0 && c.text === w.changes[0].text);
      if (!insertions) problems.push(`an inline accept that was not the same insertion at each cursor: ${JSON.stringify(w.changes)}`);
    } else if (expectWrite && w.after !== expectWrite(w.before)) {
      problems.push(`the write is not exactly the fill into the text it was asked about: ${JSON.stringify(w.changes).slice(0, 200)}`);
    }
  }
  return problems;
}

/** A cursor, a span of a line, a marker's line, or two cursors: what a user would fill. */
function fillSpans(text: string, rng: Rng): Span[] {
  const marker = text.indexOf('<|hole');
  const choice = rng.int(4);
  if (choice === 0 && marker !== -1) return [{ start: marker, end: text.indexOf('\n', marker) === -1 ? text.length : text.indexOf('\n', marker) }];
  const a = rng.int(text.length + 1);
  if (choice === 1) return [{ start: a, end: Math.min(text.length, a + rng.int(30)) }];
  if (choice === 2) {
    const b = rng.int(text.length + 1);
    return a === b
      ? [{ start: a, end: a }]
      : [
          { start: Math.min(a, b), end: Math.min(a, b) },
          { start: Math.max(a, b), end: Math.max(a, b) },
        ];
  }
  return [{ start: a, end: a }];
}

/** Somewhere inside a function body, when there is one. */
function rewriteCursor(text: string, rng: Rng): number {
  const bodies = [...text.matchAll(/\) \{\n/g)].map((m) => m.index! + m[0].length);
  return bodies.length ? bodies[rng.int(bodies.length)] + 2 : rng.int(text.length + 1);
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
