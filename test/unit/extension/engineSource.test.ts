import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { InfillError } from '../../../src/core';
import { apiKeySlot, bundledFolder, openEngine } from '../../../src/extension/engineSource';
import { ModelSettings } from '../../../src/extension/settings';

describe('extension engine source', () => {
  it('says what to set when the bundled model is missing', () => {
    const root = fs.mkdtempSync(path.join(os.tmpdir(), 'no-bundled-'));
    try {
      fs.writeFileSync(path.join(root, 'package.json'), '{}');
      fs.mkdirSync(path.join(root, 'dist'));
      assert.throws(
        () => bundledFolder(path.join(root, 'dist')),
        (e: Error) => e instanceof InfillError && /no bundled model/.test(e.message) && /diffusionInfill\.model\.folder/.test(e.message),
      );
    } finally {
      fs.rmSync(root, { recursive: true, force: true });
    }
  });

  it('asks for a folder when the source is "folder" and none is set', async () => {
    await assert.rejects(
      openEngine({ source: 'folder', folder: '', remoteUrl: '', remoteModel: '', remoteDiffusing: false, device: 'cpu', threads: 0 }, () => undefined),
      /diffusionInfill\.model\.folder is empty/,
    );
  });

  it('opens the test model from a folder as an InfillEngine', async () => {
    const engine = await openEngine(
      {
        source: 'folder',
        folder: path.resolve(__dirname, '../../../../test/fixtures/tiny-model'),
        remoteUrl: '',
        remoteModel: '',
        remoteDiffusing: false,
        device: 'cpu',
        threads: 0,
      },
      () => undefined,
    );
    assert.equal(engine.info.name, 'tiny-random');
  });

  const remote = (over: Partial<ModelSettings>): ModelSettings => ({
    source: 'openai-fim',
    folder: '',
    remoteUrl: 'https://api.example.com/v1/fim/completions',
    remoteModel: 'mercury-coder',
    remoteDiffusing: true,
    device: 'cpu',
    threads: 0,
    ...over,
  });

  it('opens an OpenAI-compatible endpoint with the key stored for its server, and logs no key', async () => {
    const asked: string[] = [];
    const logged: string[] = [];
    const engine = await openEngine(
      remote({}),
      (m) => logged.push(m),
      async (url) => (asked.push(url), 'sk-secret-key'),
    );
    assert.equal(engine.info.name, 'mercury-coder');
    assert.equal(engine.info.family, 'diffusing-fim');
    assert.deepEqual(asked, ['https://api.example.com/v1/fim/completions']);
    assert.ok(logged.length > 0 && logged.every((m) => !m.includes('sk-secret-key')));
  });

  it('asks for the endpoint and the model name when the source is "openai-fim" and they are not set', async () => {
    await assert.rejects(
      openEngine(remote({ remoteModel: '' }), () => undefined),
      /diffusionInfill\.model\.remoteModel/,
    );
  });

  it('keeps one key per server origin, so a key never goes to another host', () => {
    assert.equal(apiKeySlot('https://api.example.com/v1/fim/completions'), apiKeySlot('https://api.example.com/other?x=1'));
    assert.notEqual(apiKeySlot('https://api.example.com/v1'), apiKeySlot('https://evil.example.net/v1'));
    assert.throws(() => apiKeySlot('not a url'), /is not a URL/);
  });

  it('a server URL without a scheme says how to write it', () => {
    assert.throws(() => apiKeySlot('localhost:8080'), /"localhost:8080" is not a URL: it has no scheme; write it as http:\/\/localhost:8080/);
  });
});
