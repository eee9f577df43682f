import * as fs from 'node:fs';
import * as path from 'node:path';
import Mocha from 'mocha';

/** Written by the suite when DIFFUSION_INFILL_TEST_RESULTS names a file; read by the code-server driver. */
export interface SuiteResults {
  passed: number;
  failed: number;
  tests: { title: string; state: 'passed' | 'failed'; durationMs?: number; error?: string }[];
}

/**
 * The entry point of the integration suite, in the shape @vscode/test-electron expects
 * (extensionTestsPath). Under code-server the extension calls it (src/extension/testEntry.ts).
 */
export function run(): Promise<void> {
  const mocha = new Mocha({ ui: 'bdd', timeout: 60000, color: false, reporter: 'spec' });
  // DIFFUSION_INFILL_TEST_GREP runs only the tests whose titles match (npm run test:soak runs the soak alone).
  const grep = process.env.DIFFUSION_INFILL_TEST_GREP;
  if (grep) mocha.grep(new RegExp(grep));
  for (const file of fs.readdirSync(__dirname)) {
    if (file.endsWith('.test.js')) mocha.addFile(path.join(__dirname, file));
  }
  const results: SuiteResults = { passed: 0, failed: 0, tests: [] };
  const resultsFile = process.env.DIFFUSION_INFILL_TEST_RESULTS;
  // Each result as it comes, beside the file the driver waits for: a suite stopped by its time limit still tells what passed.
  const progress = () => resultsFile && fs.writeFileSync(resultsFile + '.partial', JSON.stringify(results, null, 2));
  return new Promise((resolve, reject) => {
    const runner = mocha.run((failures) => {
      if (resultsFile) {
        fs.writeFileSync(resultsFile + '.tmp', JSON.stringify(results, null, 2));
        fs.renameSync(resultsFile + '.tmp', resultsFile);
      }
      if (failures > 0) reject(new Error(`${failures} integration test(s) failed`));
      else resolve();
    });
    runner.on('pass', (test) => {
      results.passed++;
      results.tests.push({ title: test.fullTitle(), state: 'passed', durationMs: test.duration });
      progress();
    });
    runner.on('fail', (test, error: Error) => {
      results.failed++;
      results.tests.push({ title: test.fullTitle(), state: 'failed', error: error.stack ?? error.message });
      progress();
    });
  });
}
