import * as assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { KIND_IDS } from '../../../src/core/engineKinds';
import { UsageError } from '../../../src/cli/args';
import { chosenSource, SOURCE_FLAGS, sourceFlagsUsage } from '../../../src/cli/source';
import { CLI, tempDir } from '../support/fixtures';
import { startTeamServer } from '../support/teamServers';

describe("the CLI's model source, from the list of engine kinds", () => {
  it('offers --source with every kind, and each kind its flags', () => {
    assert.equal(SOURCE_FLAGS.source.type, 'string');
    for (const flag of ['model', 'server', 'token', 'url', 'remote-model', 'api-key']) assert.equal(SOURCE_FLAGS[flag]?.type, 'string', flag);
    assert.equal(SOURCE_FLAGS.diffusing.type, 'boolean');
    for (const id of KIND_IDS) assert.match(sourceFlagsUsage(), new RegExp(`--source ${id}\\b`));
  });

  it('chooses the bundled model by default, a folder for --model, a server for --server', () => {
    assert.equal(chosenSource({}).kind.id, 'bundled');
    assert.deepEqual(chosenSource({ model: '/m' }).values, { folder: '/m' });
    const server = chosenSource({ server: 'http://gpu:8797', token: 't' });
    assert.deepEqual([server.kind.id, server.values, server.secret], ['server', { url: 'http://gpu:8797' }, 't']);
  });

  it('says which flags are wrong: an unknown source, an ambiguous one, a flag the source does not read', () => {
    assert.throws(
      () => chosenSource({ source: 'cloud' }),
      (e: Error) => e instanceof UsageError && /--source must be one of bundled, pulled, folder, server/.test(e.message),
    );
    assert.throws(() => chosenSource({ url: 'http://x' }), /openai-fim and openai-chat read these flags: say which with --source/);
    assert.throws(() => chosenSource({ model: '/m', server: 'http://x' }), /folder and server read these flags/);
    assert.throws(() => chosenSource({ source: 'folder', model: '/m', 'api-key': 'k' }), /--api-key is not read by the model source "folder"/);
  });

  it('fills through an OpenAI-compatible chat server, the key from the environment', async () => {
    const server = await startTeamServer({ engine: 'vllm', model: 'm', apiKey: 'k-123', answer: () => ({ content: ['```js\n', 'a + b', '\n```\n'] }) });
    const temp = tempDir();
    try {
      const file = path.join(temp.dir, 'add.js');
      fs.writeFileSync(file, 'function add(a, b) {\n  return <|hole|>;\n}\n');
      const out = await run(['fill', file, '--source', 'openai-chat', '--url', `${server.url}/v1`, '--remote-model', 'm', '--quiet'], {
        DIFFUSION_INFILL_API_KEY: 'k-123',
      });
      assert.equal(out.code, 0, out.stderr);
      assert.equal(out.stdout, 'function add(a, b) {\n  return a + b;\n}\n');
      assert.equal(server.seen.at(-1)?.auth, 'Bearer k-123');
      const missing = await run(['fill', file, '--source', 'openai-chat', '--url', `${server.url}/v1`]);
      assert.equal(missing.code, 1);
      assert.match(missing.stderr, /the model source "openai-chat" needs --remote-model: the model the server serves/);
    } finally {
      temp.remove();
      await server.close();
    }
  });
});

function run(args: string[], env: Record<string, string> = {}): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [CLI, ...args], { env: { ...process.env, ...env } });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}
