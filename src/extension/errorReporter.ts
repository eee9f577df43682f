import * as vscode from 'vscode';
import { InfillError } from '../core';
import { errorActions } from './errorActions';

/**
 * Tells the user about failures: every failure goes to the log; a popup is shown once per
 * distinct message for background work (inline completions), and every time for a command the
 * user ran, with the buttons that fix it (errorActions.ts). Aborts never come here: they are not errors.
 */
export class ErrorReporter {
  private readonly shown = new Set<string>();

  /** `modelProblem`: why the model did not open, if it did not (ModelService's error state). */
  constructor(
    private readonly log: vscode.LogOutputChannel,
    private readonly modelProblem: () => string | undefined = () => undefined,
  ) {}

  report(error: unknown, context: string, options: { always?: boolean } = {}): void {
    const message = error instanceof Error ? error.message : String(error);
    if (error instanceof InfillError) this.log.warn(`${context}: ${message}`);
    else this.log.error(`${context}: ${error instanceof Error && error.stack ? error.stack : message}`);
    if (!options.always && this.shown.has(message)) return;
    this.shown.add(message);
    const actions = errorActions(error, this.modelProblem() === message);
    void vscode.window.showErrorMessage(`Diffusion Infill: ${message}`, ...actions.map((a) => a.title)).then((choice) => {
      const action = actions.find((a) => a.title === choice);
      if (!action) return;
      const args = action.command === 'vscode.open' ? [vscode.Uri.parse(String(action.args?.[0]))] : (action.args ?? []);
      void vscode.commands.executeCommand(action.command, ...args);
    });
  }
}
