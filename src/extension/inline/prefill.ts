import * as vscode from 'vscode';
import { Emitter } from '../emitter';
import { languageEnabled } from '../settings';
import { InlineDependencies } from './inlineProvider';
import { inlineRequest } from './completionContext';

/** How long the cursor rests before its canvas is read: a click through a file reads nothing. */
const REST_MS = 600;

export interface PrefillEvent {
  uri: string;
  /** The window's start in the document. */
  start: number;
  ms: number;
}

/**
 * Reads the canvas of the cursor's inline completion ahead of it (engine.prefill): when an editor
 * comes into view, and when the cursor comes to rest out of the window last read there.  The first
 * completion then starts from those keys and values instead of a full pass over the context.  The
 * first file in view opens the model, so the first completion does not wait for that either.  Only
 * while no generation runs, where completions would run; a new read cancels the one before.
 */
export class ContextPrefill implements vscode.Disposable {
  private readonly done = new Emitter<PrefillEvent>();
  readonly onDidPrefill = this.done.event;
  private readonly subscriptions: vscode.Disposable[];
  /** The window last read: the model keeps the last few passes, so only the last one is known to be there. */
  private last: { uri: string; start: number; length: number } | undefined;
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
    const { window, request, options } = inlineRequest(document.getText(), document.offsetAt(editor.selection.active), settings, uri);
    const last = this.last;
    // Half the window shared is what a later request needs to start from a pass (contextReuse.ts);
    // edits inside the window leave that to the inline requests, whose passes serve the same way.
    if (last?.uri === uri && Math.abs(last.start - window.start) < last.length / 4) return;
    const started = performance.now();
    await engine.prefill(request, options, signal);
    this.last = { uri, start: window.start, length: window.text.length };
    const ms = performance.now() - started;
    this.deps.log.debug(`prefill: ${document.fileName} from offset ${window.start}, ${Math.round(ms)} ms`);
    this.done.fire({ uri, start: window.start, ms });
  }
}
