import * as vscode from 'vscode';
import { flawOf, SyntaxChecker } from './syntaxCheck';

export const SHOW_ANYWAY = 'Show Anyway';

/**
 * Rewrite, Repair and Fill Selection pass their result through here before the user sees it: one
 * that adds syntax errors or empties a function body is withheld, with a warning that says what
 * is wrong and a button to see it all the same. `diffusionInfill.syntaxCheck` turns this off.
 */
export class ProposalGate {
  private readonly checker: SyntaxChecker;

  constructor(
    wasmDir: string,
    private readonly enabled: () => boolean,
    private readonly log: vscode.LogOutputChannel,
  ) {
    this.checker = new SyntaxChecker(wasmDir);
  }

  /** What is wrong with the proposal in words, or undefined when nothing is (or nothing could be checked). */
  async flaw(document: vscode.TextDocument, original: string, proposal: string): Promise<string | undefined> {
    if (!this.enabled()) return undefined;
    try {
      const verdict = await this.checker.check(document.languageId, original, proposal);
      if (!verdict.checked) this.log.debug(`syntax check: no grammar for ${document.languageId}, not checked`);
      return flawOf(verdict);
    } catch (e) {
      // A checker that cannot run must not stand between the user and the model's work.
      this.log.warn(`syntax check failed, the result is shown unchecked: ${(e as Error).message}`);
      return undefined;
    }
  }

  /** Tells the user what was withheld and why; `show` opens it when they ask to see it anyway. */
  withhold(what: string, flaw: string, show: () => Promise<unknown>): void {
    const message = `${what} ${flaw}, so it is not shown`;
    this.log.info(`syntax check: ${message}`);
    void vscode.window.showWarningMessage(`Diffusion Infill: ${message}.`, SHOW_ANYWAY).then((choice) => {
      if (choice === SHOW_ANYWAY) void show();
    });
  }
}
