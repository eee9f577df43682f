import * as vscode from 'vscode';
import { InfillError } from '../core';
import { SHOW_LOG_COMMAND } from './statusBar';

/**
 * Tells the user about failures: every failure goes to the log; a popup is shown once per
 * distinct message for background work (inline completions), and every time for a command the
 * user ran. Aborts never come here: they are not errors.
 */
export class ErrorReporter {
  private readonly shown = new Set<string>();

  constructor(private readonly log: vscode.LogOutputChannel) {}

  report(error: unknown, context: string, options: { always?: boolean } = {}): void {
    const message = error instanceof Error ? error.message : String(error);
    if (error instanceof InfillError) this.log.warn(`${context}: ${message}`);
    else this.log.error(`${context}: ${error instanceof Error && error.stack ? error.stack : message}`);
    if (!options.always && this.shown.has(message)) return;
    this.shown.add(message);
    void vscode.window.showErrorMessage(`Diffusion Infill: ${message}`, 'Show Log').then((choice) => {
      if (choice) void vscode.commands.executeCommand(SHOW_LOG_COMMAND);
    });
  }
}
