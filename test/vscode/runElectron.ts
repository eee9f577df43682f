import * as path from 'node:path';
import { runTests } from '@vscode/test-electron';

/**
 * The same integration suite in a downloaded VS Code (Electron), for machines that can reach
 * update.code.visualstudio.com. Offline, use runCodeServer.mjs instead.
 */
async function main(): Promise<void> {
  const root = path.resolve(__dirname, '../../..');
  await runTests({
    extensionDevelopmentPath: root,
    extensionTestsPath: path.join(__dirname, 'suite', 'index.js'),
    launchArgs: ['--disable-extensions', '--disable-workspace-trust', path.join(root, 'test', 'fixtures')],
  });
}

main().catch((e) => {
  console.error(e instanceof Error ? e.message : e);
  process.exit(1);
});
