import * as vscode from 'vscode';
import { ErrorReporter } from './errorReporter';
import { Generation, Generations } from './generations';
import { ModelService } from './modelService';
import { ExtensionSettings } from './settings';

/** What every editor feature stands on: the model, the one place generations run, settings, the log and errors. */
export interface FeatureDependencies {
  models: ModelService;
  generations: Generations;
  settings: () => ExtensionSettings;
  log: vscode.LogOutputChannel;
  errors: ErrorReporter;
}

/** The document changed under a generation: say so once, in the log and to the user; nothing was written. */
export function reportStale(deps: FeatureDependencies, feature: string, message: string): { status: 'stale' } {
  deps.log.info(`${feature}: ${message}`);
  void vscode.window.showWarningMessage(`Diffusion Infill: ${message}`);
  return { status: 'stale' };
}

/** A generation failed: reported through the error reporter, and returned for the caller to tell. */
export function reportFailure(deps: FeatureDependencies, feature: string, error: unknown): { status: 'failed'; message: string } {
  deps.errors.report(error, feature, { always: true });
  return { status: 'failed', message: error instanceof Error ? error.message : String(error) };
}

/**
 * Cancels the generation at the first edit of its document: the result would be for the old text,
 * so the model stops now. `edited` tells afterwards whether that happened.
 */
export function cancelOnEdit(document: vscode.TextDocument, generation: Generation): vscode.Disposable & { readonly edited: boolean } {
  let edited = false;
  const subscription = vscode.workspace.onDidChangeTextDocument((change) => {
    if (change.document === document && change.contentChanges.length > 0) {
      edited = true;
      generation.cancel();
    }
  });
  return {
    get edited() {
      return edited;
    },
    dispose: () => subscription.dispose(),
  };
}
