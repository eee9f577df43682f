import * as vscode from 'vscode';

/**
 * code-server has no --extensionTestsPath, so the real-VS Code harness (test/vscode) names its
 * suite in this variable and the extension host runs it. Unset in normal use: nothing happens.
 */
export const TEST_ENTRY_VARIABLE = 'DIFFUSION_INFILL_TEST_ENTRY';

export function startTestEntryIfAsked(log: vscode.LogOutputChannel): void {
  const entry = process.env[TEST_ENTRY_VARIABLE];
  if (!entry) return;
  log.info(`running the test entry ${entry}`);
  // Deferred so that activate() returns (and the extension's exports exist) before the suite starts.
  setTimeout(() => {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const suite = require(entry) as { run(): Promise<void> };
    suite.run().catch((e: Error) => log.error(`test entry failed: ${e.stack ?? e.message}`));
  }, 0);
}
