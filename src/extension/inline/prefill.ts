import * as vscode from 'vscode';
import { InfillEngine, numberOption } from '../../core';
import { CHARS_PER_TOKEN } from '../../core/remote/charWindow';
import { Emitter } from '../emitter';
import { languageEnabled } from '../settings';
import { InlineDependencies } from './inlineProvider';
import { inlineRequest } from './completionContext';

/** How long the cursor rests before its canvas is read: a click through a file reads nothing. */
const REST_MS = 600;

/** The canvas's tokens when the setting is unset (VS Code hands over its contributed default, so only outside it). */
const DEFAULT_CONTEXT_TOKENS = numberOption('contextTokens').setting!.default as number;

export interface PrefillEvent {
  uri: string;
  /** The cursor's offset in the document. */
  offset: number;
  ms: number;
}

/**
 * Reads the canvas of the cursor's inline completion ahead of it (engine.prefill): when an editor
 * comes into view, and when the cursor comes to rest far from where it was last read there.  The first
 * completion then starts from those keys and values instead of a full pass over the context.  The
 * first file in view opens the model, so the first completion does not wait for that either.  Only
 * while no generation runs, where completions would run; a new read cancels the one before.
 */
export class ContextPrefill implements vscode.Disposable {
  private readonly done = new Emitter<PrefillEvent>();
  readonly onDidPrefill = this.done.event;
  private readonly subscriptions: vscode.Disposable[];
  /** Where the cursor was at the last read: the model keeps the last few passes, so only the last one is known to be there. */
  private last: { uri: string; offset: number } | undefined;
  private pending: { timer: NodeJS.Timeout; abort: AbortController } | undefined;

  constructor(private readonly deps: InlineDependencies) {
    this.subscriptions = [
      // No editor left (the last one closed): the read waiting for the one before is dropped.
      vscode.window.onDidChangeActiveTextEditor((editor) => (editor ? this.schedule(editor) : this.cancel())),
      vscode.window.onDidChangeTextEditorSelection((e) => e.textEditor === vscode.window.activeTextEditor && this.schedule(e.textEditor)),
      // Typing is the inline provider's business: its requests reuse each other's passes.
      vscode.workspace.onDidChangeTextDocument(() => this.cancel()),
      // A generation asked for goes first: a read not yet at the model stops.
      deps.generations.onDidStart(() => this.cancel()),
    ];
  }

  dispose(): void {
    this.cancel();
    this.subscriptions.forEach((s) => s.dispose());
    this.done.dispose();
  }

  private cancel(): void {
    if (!this.pending) return;
    clearTimeout(this.pending.timer);
    this.pending.abort.abort();
    this.pending = undefined;
  }

  private schedule(editor: vscode.TextEditor): void {
    this.cancel();
    const abort = new AbortController();
    this.pending = { timer: setTimeout(() => void this.run(editor, abort.signal).catch(() => undefined), REST_MS), abort };
  }

  private async run(editor: vscode.TextEditor, signal: AbortSignal): Promise<void> {
    const { settings: read, models, generations, snooze } = this.deps;
    const settings = read();
    const document = editor.document;
    if (!settings.inline.enabled || snooze.active || !languageEnabled(settings.languages, document.languageId)) return;
    // A model that failed to open is left to the next completion, which says why.
    if (models.state.kind === 'error' || generations.running) return;
    const engine = await models.engine();
    // The model may have taken a while to open: read only what is still in front of the user.
    if (!engine.prefill || signal.aborted || vscode.window.activeTextEditor !== editor) return;
    const uri = document.uri.toString();
    const text = document.getText();
    const offset = document.offsetAt(editor.selection.active);
    const { request, options } = inlineRequest(text, offset, settings, uri);
    const last = this.last;
    // Half the canvas shared is what a later request needs to start from a pass (contextReuse.ts):
    // a cursor a quarter of the canvas from the last read is still well inside it. Edits leave
    // that to the inline requests, whose passes serve the same way.
    const quarter = Math.floor((settings.sampler.contextTokens ?? DEFAULT_CONTEXT_TOKENS) / 4);
    if (last?.uri === uri && (await tokensBetween(engine, text, last.offset, offset, quarter)) < quarter) return;
    if (signal.aborted) return;
    const started = performance.now();
    await engine.prefill(request, options, signal);
    this.last = { uri, offset };
    const ms = performance.now() - started;
    this.deps.log.debug(`prefill: ${document.fileName} at offset ${offset}, ${Math.round(ms)} ms`);
    this.done.fire({ uri, offset, ms });
  }
}

/** The tokens between two offsets of `text`, up to `cap`: counted by the engine's tokenizer where it has one here, else guessed from the characters. */
async function tokensBetween(engine: InfillEngine, text: string, a: number, b: number, cap: number): Promise<number> {
  const between = text.slice(Math.min(a, b), Math.max(a, b));
  return engine.countTokens ? engine.countTokens(between, cap) : Math.floor(between.length / CHARS_PER_TOKEN);
}
