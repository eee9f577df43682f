import * as path from 'node:path';
import * as vscode from 'vscode';
import { shownInATab } from '../documentWrite';
import { InfillEngine, InfillError, InfillEvent, InfillRequest, MAX_HOLE_TOKENS, repairRequest, Span } from '../../core';
import { confidenceWords, resultConfidence } from '../confidence';
import { ExtensionSettings } from '../settings';
import { openSample } from '../samples';
import { ProposalGate } from '../syntax/proposalGate';
import { functionAtCursor } from './functionAtCursor';
import { Proposals, RefactorMode } from './proposals';
import { parseRefactorSettings } from './refactorSettings';
import { cancelOnEdit, FeatureDependencies, reportFailure, reportStale } from '../featureDependencies';

export const REWRITE_FUNCTION_COMMAND = 'diffusionInfill.rewriteFunction';
export const REPAIR_FUNCTION_COMMAND = 'diffusionInfill.repairFunction';

/** What a refactor command did; returned by the command so that tests and the panel can tell. */
export type RefactorOutcome =
  | {
      status: 'proposed';
      mode: RefactorMode;
      /** The function's span in the document, signature included, and its body. */
      whole: Span;
      body: Span;
      /** The spans of the document the model wrote (the body for a rewrite, the remasked runs for a repair) and their new text. */
      holes: Span[];
      fills: string[];
      replacement: string;
    }
  /** The syntax check found the proposal broken (`flaw`): not shown unless the user asks to see it. */
  | { status: 'withheld'; mode: RefactorMode; flaw: string; replacement: string }
  | { status: 'stale' }
  /** The document's editors were closed before the result came back: nothing proposed. */
  | { status: 'closed' }
  | { status: 'cancelled' }
  | { status: 'failed'; message: string };

export interface RefactorDependencies extends FeatureDependencies {
  proposals: Proposals;
  gate: ProposalGate;
}

/**
 * Rewrite or Repair the function around the cursor. Rewrite masks the whole body at its current
 * length (the signature stays as context on one side, the code after on the other); Repair lets
 * the model score every body token and masks only the ones it doubts most. Either way the result
 * opens as a diff to Accept or Reject; nothing is written before Accept.
 */
export async function refactorFunction(deps: RefactorDependencies, mode: RefactorMode, given = vscode.window.activeTextEditor): Promise<RefactorOutcome> {
  const editor = given ?? (await openSample('repair', deps.log));
  const document = editor.document;
  const found = await functionAtCursor(document, editor.selection.active);
  if (!found) return fail(deps, new InfillError('no function around the cursor: put the cursor inside a function body'));
  const text = document.getText();
  const version = document.version;
  let engine: InfillEngine;
  try {
    engine = await deps.models.engine();
  } catch (e) {
    return fail(deps, e);
  }
  const options = deps.settings().sampler;
  let job: RefactorJob;
  try {
    job = mode === 'rewrite' ? await rewriteJob(engine, text, found.body, options) : await repairJob(engine, text, found.body, repairTokens(), options);
  } catch (e) {
    return fail(deps, e);
  }
  if (document.version !== version) return stale(deps, mode);

  const generation = deps.generations.start('refactor', job.request, job.events);
  if (!generation) return fail(deps, new Error('could not start a generation'));
  deps.log.info(
    `${mode} #${generation.id}: function at ${found.whole.start}-${found.whole.end} (${found.from}), ${job.request.holes.length} hole(s), version ${version}`,
  );
  const edits = cancelOnEdit(document, generation);
  const outcome = await generation.outcome.finally(() => edits.dispose());
  if (document.version !== version) return stale(deps, mode);
  if (outcome.status === 'cancelled') {
    vscode.window.setStatusBarMessage(`Diffusion Infill: ${mode} cancelled, nothing written`, 5000);
    return { status: 'cancelled' };
  }
  if (outcome.status === 'failed') return fail(deps, outcome.error);

  if (!shownInATab(document)) {
    const message = `the editor of ${path.basename(document.uri.path)} was closed while the model was working, so nothing was proposed: open it and run ${mode === 'repair' ? 'Repair' : 'Rewrite'} Function again`;
    deps.log.info(`${mode} #${generation.id}: ${message}`);
    void vscode.window.showWarningMessage(`Diffusion Infill: ${message}`);
    return { status: 'closed' };
  }
  const result = outcome.result;
  const grown = result.text.length - text.length;
  const replacement = result.text.slice(found.whole.start, found.whole.end + grown);
  const confidence = resultConfidence(result.holes);
  const proposal = { mode, document, version, replace: found.whole, replacement, confidence };
  deps.log.info(`${mode} #${generation.id}: ${confidenceWords(confidence)}`);
  const flaw = await deps.gate.flaw(document, text, result.text);
  if (flaw) {
    deps.gate.withhold(`${mode === 'repair' ? 'Repair' : 'Rewrite'}'s proposal`, flaw, () => deps.proposals.open({ ...proposal, flaw }, text));
    return { status: 'withheld', mode, flaw, replacement };
  }
  await deps.proposals.open(proposal, text);
  return {
    status: 'proposed',
    mode,
    whole: found.whole,
    body: found.body,
    holes: job.request.holes.map((h) => ({ start: h.start, end: h.end })),
    fills: result.holes.map((h) => h.text),
    replacement,
  };
}

/** What a refactor runs as a generation: the document with its holes, and the engine's events for it. */
interface RefactorJob {
  request: InfillRequest;
  events: (signal: AbortSignal) => AsyncIterable<InfillEvent>;
}

/** The body as one hole of exactly its current length in tokens, where the engine can count them. */
async function rewriteJob(engine: InfillEngine, text: string, body: Span, options: ExtensionSettings['sampler']): Promise<RefactorJob> {
  let tokens: number | undefined;
  if (engine.countTokens && body.end > body.start) {
    const count = await engine.countTokens(text.slice(body.start, body.end), MAX_HOLE_TOKENS);
    tokens = Math.min(MAX_HOLE_TOKENS, Math.max(1, count));
  }
  // A remote engine cannot count our tokens: it sizes the hole as the body's tokens plus slack, cut at end-of-text.
  const request: InfillRequest = { text, holes: [{ start: body.start, end: body.end, tokens }] };
  return { request, events: (signal) => engine.infill(request, options, signal) };
}

/** Scores the body and picks the tokens to remask; the plan runs as an ordinary generation (the status bar, the panel and Cancel follow it). */
async function repairJob(engine: InfillEngine, text: string, body: Span, count: number, options: ExtensionSettings['sampler']): Promise<RefactorJob> {
  const repair = engine.repair;
  if (!repair) {
    throw new InfillError(
      'Repair Function needs a local model (it scores every token of the body): set diffusionInfill.model.source to "bundled" or "folder", or use Rewrite Function',
    );
  }
  if (body.end <= body.start || text.slice(body.start, body.end).trim() === '') throw new InfillError('the function body is empty: nothing to repair');
  const plan = await repair.plan({ text, span: body }, count, options);
  return { request: repairRequest(plan), events: (signal) => repair.run(plan, options, signal) };
}

function repairTokens(): number {
  const config = vscode.workspace.getConfiguration('diffusionInfill.refactor');
  return parseRefactorSettings((key) => config.get(key)).repairTokens;
}

function stale(deps: RefactorDependencies, mode: RefactorMode): RefactorOutcome {
  return reportStale(
    deps,
    'refactor',
    `the document changed while the model was working, so nothing was proposed: run ${mode === 'repair' ? 'Repair' : 'Rewrite'} Function again`,
  );
}

function fail(deps: RefactorDependencies, error: unknown): RefactorOutcome {
  return reportFailure(deps, 'refactor', error);
}
