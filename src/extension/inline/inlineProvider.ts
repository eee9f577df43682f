import * as vscode from 'vscode';
import { MIN_CONFIDENCE_FALLBACK } from '../../core';
import { Emitter } from '../emitter';
import { Generation } from '../generations';
import { languageEnabled } from '../settings';
import { CompletionCache } from './completionCache';
import { inlineRequest } from './completionContext';
import { debounce } from './debounce';
import { DecorationDraftView, editorOf } from './draftViews';
import { inlineVerdict, InlineVerdict, verdictWords } from './verdict';
import { cancelOnEdit, FeatureDependencies } from '../featureDependencies';
import { Snooze } from '../menu/snooze';

export interface InlineDependencies extends FeatureDependencies {
  /** Completions paused from the status bar menu. */
  snooze: Snooze;
}

/** The place a completion was asked for; a generation belongs to one place. */
interface Place {
  uri: string;
  version: number;
  offset: number;
  /** The suggest widget's chosen item the completion extends, if any. */
  chosen?: string;
}

/** The inline generation that is running, with the place it fills. */
interface LiveCompletion {
  place: Place;
  generation: Generation;
  /** The result's fill, or undefined when there is nothing to offer. */
  finished: Promise<string | undefined>;
}

/**
 * Inline completions where the cursor is the hole, as a pipeline of small stages:
 * settings gate -> cache -> debounce -> the document and cursor -> generation (drafts shown live)
 * -> verdict on the result's fill (cleaned and judged in core) -> cache. A new request or an edit aborts the generation before it.
 */
export class DiffusionInlineProvider implements vscode.InlineCompletionItemProvider, vscode.Disposable {
  readonly cache = new CompletionCache();
  readonly drafts = new DecorationDraftView();
  private readonly verdicts = new Emitter<InlineVerdict>();
  /** What each inline generation's fill became: shown (sure or not) or why nothing was. */
  readonly onDidDecide = this.verdicts.event;
  private live: LiveCompletion | undefined;

  constructor(private readonly deps: InlineDependencies) {}

  async provideInlineCompletionItems(
    document: vscode.TextDocument,
    position: vscode.Position,
    context: vscode.InlineCompletionContext,
    token: vscode.CancellationToken,
  ): Promise<vscode.InlineCompletionItem[] | undefined> {
    const settings = this.deps.settings();
    if (!settings.inline.enabled || this.deps.snooze.active || !languageEnabled(settings.languages, document.languageId)) return undefined;
    // With the suggest widget open VS Code shows only a completion that extends the item chosen in
    // it (as Copilot does): the model writes after the chosen word, as if it were typed already.
    const chosen = context.selectedCompletionInfo;
    const asTyped = chosenAsTyped(document, position, chosen);
    const { request, options } = inlineRequest(asTyped.text, asTyped.cursor, settings, document.uri.toString());
    const prefix = asTyped.text.slice(0, asTyped.cursor);
    const suffix = asTyped.text.slice(asTyped.cursor);
    const place: Place = { uri: document.uri.toString(), version: document.version, offset: document.offsetAt(position), chosen: chosen?.text };
    const item = (fill: string) => new vscode.InlineCompletionItem(asTyped.lead + fill, asTyped.range);
    // Asked for (Alt+\, the menu): shown whatever the model's confidence, and waited for however long the model takes to load.
    const explicit = context.triggerKind === vscode.InlineCompletionTriggerKind.Invoke;

    const cached = this.cache.get(prefix, suffix, explicit);
    if (cached !== undefined) return [item(cached)];

    // Asked again at the place of the running generation: join it instead of starting over.
    if (this.live && samePlace(this.live.place, place) && !this.live.generation.cancelled) {
      const fill = await this.live.finished;
      return fill === undefined || token.isCancellationRequested ? undefined : [item(fill)];
    }

    if (!explicit && !(await debounce(settings.inline.debounceMs, token))) return undefined;

    let engine;
    try {
      engine = await this.deps.models.engine();
    } catch (e) {
      this.deps.errors.report(e, 'inline completion');
      return undefined;
    }
    // VS Code may drop a request while the model loads; one the user asked for still runs while
    // the cursor is where it was, and is shown when it is done (see the end).
    const dropped = token.isCancellationRequested && !(explicit && stillAt(document, place));
    if (dropped || document.version !== place.version) return undefined;

    const generation = this.deps.generations.start('inline', request, (signal) => engine.infill(request, options, signal));
    if (!generation) return undefined; // a Fill Selection or refactor is running: it has the model.
    const watch = this.watchMovedOn(document, place, generation, token);
    const drafts = generation.onDidEvent((event) => {
      // A draft never outlives the place it was made for, even one already on its way when the user typed.
      if (event.type === 'draft' && settings.inline.drafts === 'decoration' && !generation.cancelled && document.version === place.version)
        this.drafts.show(document, position, asTyped.untyped + (event.holes[0]?.text ?? ''));
    });

    const finished = generation.outcome.then((outcome) => {
      drafts.dispose();
      watch.dispose();
      this.drafts.clear();
      if (this.live?.generation === generation) this.live = undefined;
      if (outcome.status === 'failed') this.deps.errors.report(outcome.error, 'inline completion');
      if (outcome.status !== 'done') return undefined;
      const floor = options.minConfidence ?? MIN_CONFIDENCE_FALLBACK;
      const verdict = inlineVerdict(outcome.result.holes[0], floor, explicit);
      const s = outcome.result.stats;
      // Every verdict at info level: a user who saw a draft vanish, or a fill appear, finds why in the log.
      this.deps.log.info(`inline #${generation.id}: ${s.steps} steps, ${Math.round(s.elapsedMs)} ms, ${verdictWords(verdict)}`);
      this.verdicts.fire(verdict);
      if (verdict.kind !== 'shown') return undefined;
      this.cache.set(prefix, suffix, verdict.fill, verdict.unsure);
      return verdict.fill;
    });
    this.live = { place, generation, finished };

    const fill = await finished;
    if (fill === undefined) return undefined;
    if (token.isCancellationRequested) {
      // VS Code dropped this request without the user moving on: show the cached fill when asked again.
      if (stillAt(document, place)) void vscode.commands.executeCommand('editor.action.inlineSuggest.trigger');
      return undefined;
    }
    return [item(fill)];
  }

  dispose(): void {
    this.live?.generation.cancel();
    this.drafts.dispose();
    this.verdicts.dispose();
  }

  /**
   * Aborts the generation once the user moves on: an edit of the document, the cursor leaving the
   * place, or VS Code cancelling the request after either. A cancellation without either is VS
   * Code asking again at the same place, which must not abort.
   */
  private watchMovedOn(document: vscode.TextDocument, place: Place, generation: Generation, token: vscode.CancellationToken): vscode.Disposable {
    const abortIfMoved = () => {
      if (!stillAt(document, place)) generation.cancel();
    };
    return vscode.Disposable.from(
      token.onCancellationRequested(abortIfMoved),
      cancelOnEdit(document, generation),
      // The draft goes with the keystroke that made it stale, not when the engine next looks up.
      vscode.workspace.onDidChangeTextDocument((e) => {
        if (e.document === document && e.contentChanges.length > 0) this.drafts.clear();
      }),
      vscode.window.onDidChangeTextEditorSelection((e) => {
        if (e.textEditor.document === document) abortIfMoved();
      }),
    );
  }
}

/** The document as the model sees it: with the suggest widget's chosen item written in, the cursor after it. */
interface AsTyped {
  text: string;
  cursor: number;
  /** What the completion item replaces (the chosen item's range, or the cursor) and starts with. */
  range: vscode.Range;
  lead: string;
  /** The part of the chosen item after the cursor (not typed yet): a draft drawn at the cursor starts with it. */
  untyped: string;
}

function chosenAsTyped(document: vscode.TextDocument, position: vscode.Position, chosen: vscode.SelectedCompletionInfo | undefined): AsTyped {
  const text = document.getText();
  if (!chosen || chosen.range.start.line !== position.line) {
    return {
      text,
      cursor: document.offsetAt(position),
      range: new vscode.Range(position, position),
      lead: '',
      untyped: '',
    };
  }
  const start = document.offsetAt(chosen.range.start);
  const end = document.offsetAt(chosen.range.end);
  const line = document.lineAt(position.line).text;
  const typed = line.slice(chosen.range.start.character, position.character);
  return {
    text: text.slice(0, start) + chosen.text + text.slice(end),
    cursor: start + chosen.text.length,
    range: chosen.range,
    lead: chosen.text,
    untyped: chosen.text.startsWith(typed) ? chosen.text.slice(typed.length) : '',
  };
}

function samePlace(a: Place, b: Place): boolean {
  return a.uri === b.uri && a.version === b.version && a.offset === b.offset && a.chosen === b.chosen;
}

/** The document is unchanged and its editor's cursor is still at the place. */
function stillAt(document: vscode.TextDocument, place: Place): boolean {
  if (document.version !== place.version) return false;
  const editor = editorOf(document);
  return !editor || document.offsetAt(editor.selection.active) === place.offset;
}
