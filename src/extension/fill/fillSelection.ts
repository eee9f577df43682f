import * as path from 'node:path';
import * as vscode from 'vscode';
import { writeSpans } from '../documentWrite';
import { confidenceWords, resultConfidence } from '../confidence';
import { openSample } from '../samples';
import { ProposalGate } from '../syntax/proposalGate';
import { HoleDraftDecorations } from './holeDrafts';
import { holesFromSelections } from './selectionHoles';
import { cancelOnEdit, FeatureDependencies, reportFailure, reportStale } from '../featureDependencies';
import { Proposals } from '../refactor/proposals';
import { filledSpan, needsPreview } from './previewRule';

export const FILL_SELECTION_COMMAND = 'diffusionInfill.fillSelection';

/** What a Fill Selection did; returned by the command so that tests and other commands can tell. */
export type FillOutcome =
  | { status: 'applied'; fills: string[] }
  /** Too large to write unasked: shown as a diff to Accept or Reject (see previewRule.ts). */
  | { status: 'proposed'; fills: string[]; replacement: string }
  /** The syntax check found the result broken (`flaw`): nothing written; the user may see it as a diff. */
  | { status: 'withheld'; fills: string[]; flaw: string }
  | { status: 'stale' }
  /** The document's editors were closed before the fill came back: nothing written, the fill offered to copy. */
  | { status: 'closed'; fills: string[] }
  | { status: 'cancelled' }
  | { status: 'failed'; message: string };

export interface FillDependencies extends FeatureDependencies {
  proposals: Proposals;
  gate: ProposalGate;
}

/**
 * Fill Selection: every selection (or every marker inside one) is a hole; all are filled in one
 * generation and written as one edit, only if the document is still the version the request
 * was made from.
 */
export async function fillSelection(deps: FillDependencies, given = vscode.window.activeTextEditor): Promise<FillOutcome> {
  const editor = given ?? (await openSample('fill', deps.log));
  const document = editor.document;
  const text = document.getText();
  const spans = editor.selections.map((s) => ({ start: document.offsetAt(s.start), end: document.offsetAt(s.end) }));
  let holes;
  try {
    holes = holesFromSelections(text, spans);
  } catch (e) {
    return fail(deps, e);
  }
  const version = document.version;
  let engine;
  try {
    engine = await deps.models.engine();
  } catch (e) {
    return fail(deps, e);
  }
  if (document.version !== version) return stale(deps);

  const settings = deps.settings();
  const { request } = holes;
  const options = { ...settings.sampler, defaultHoleTokens: settings.fill.holeTokens };
  const generation = deps.generations.start('fill', request, (signal) => engine.infill(request, options, signal));
  if (!generation) return fail(deps, new Error('could not start a generation'));
  deps.log.info(`fill #${generation.id}: ${request.holes.length} hole(s) in ${document.uri.toString(true)} (version ${version})`);
  const drafts = new HoleDraftDecorations(editor, holes.replaces);
  const edits = cancelOnEdit(document, generation);
  const shown = generation.onDidEvent((event) => {
    if (event.type === 'draft') drafts.show(event);
  });
  let outcome;
  try {
    outcome = await generation.outcome;
  } finally {
    edits.dispose();
    shown.dispose();
    drafts.dispose();
  }

  if (edits.edited || document.version !== version) return stale(deps);
  if (outcome.status === 'cancelled') {
    deps.log.info(`fill #${generation.id}: cancelled, nothing written`);
    vscode.window.setStatusBarMessage('Diffusion Infill: cancelled, nothing written', 5000);
    return { status: 'cancelled' };
  }
  if (outcome.status === 'failed') return fail(deps, outcome.error);

  const fills = outcome.result.holes.map((h) => h.text);
  const confidence = resultConfidence(outcome.result.holes);
  const flaw = await deps.gate.flaw(document, request.text, outcome.result.text);
  if (flaw) {
    const { replace, replacement } = filledSpan(text, holes.replaces, fills);
    deps.gate.withhold("Fill Selection's result", flaw, () =>
      deps.proposals.open({ mode: 'fill', document, version, replace, replacement, confidence, flaw }, text),
    );
    return { status: 'withheld', fills, flaw };
  }
  if (needsPreview(text, holes.replaces)) {
    const { replace, replacement } = filledSpan(text, holes.replaces, fills);
    await deps.proposals.open({ mode: 'fill', document, version, replace, replacement, confidence }, text);
    deps.log.info(`fill #${generation.id}: the selection is the whole document or large: proposed as a diff, nothing written yet`);
    return { status: 'proposed', fills, replacement };
  }
  const written = await writeSpans(editor, version, holes.replaces, fills);
  if (written === 'closed') return closed(deps, generation.id, document, fills);
  if (written === 'changed') return stale(deps);
  const s = outcome.result.stats;
  deps.log.info(
    `fill #${generation.id}: applied ${fills.length} fill(s), ${confidenceWords(confidence)}; ${s.steps} steps, ${s.maskedTokens} tokens, ${Math.round(s.elapsedMs)} ms`,
  );
  return { status: 'applied', fills };
}

/** Said once, with the fill kept a click away: the user closed the file, but may still want what was made. */
function closed(deps: FillDependencies, id: number, document: vscode.TextDocument, fills: string[]): FillOutcome {
  const message = `the editor of ${path.basename(document.uri.path)} was closed while the model was working, so nothing was written`;
  deps.log.info(`fill #${id}: ${message}; the fill(s): ${JSON.stringify(fills)}`);
  void vscode.window.showWarningMessage(`Diffusion Infill: ${message}.`, 'Copy Fill').then((choice) => {
    if (choice) void vscode.env.clipboard.writeText(fills.join('\n'));
  });
  return { status: 'closed', fills };
}

function stale(deps: FillDependencies): FillOutcome {
  return reportStale(deps, 'fill', 'the document changed while the model was working, so nothing was written: run Fill Selection again');
}

function fail(deps: FillDependencies, error: unknown): FillOutcome {
  return reportFailure(deps, 'fill', error);
}
