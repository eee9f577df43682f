import * as assert from 'node:assert/strict';
import * as path from 'node:path';
import { apiKeySlot, openConfiguredEngine, settingsProblem } from '../../../src/extension/engineSource';
import { ModelSettings } from '../../../src/extension/settings';

const FIXTURE = path.resolve(__dirname, '../../../../test/fixtures/tiny-model');
const settings = (source: string, values: ModelSettings['values'] = {}): ModelSettings => ({
  source,
  values,
  device: 'cpu',
  threads: 0,
  modelsFolder: '/nowhere',
});

describe('extension engine source', () => {
  it('asks for a folder when the source is "folder" and none is set, naming the setting', async () => {
    await assert.rejects(
      openConfiguredEngine(settings('folder'), () => undefined),
      /the model source "folder" needs diffusionInfill\.model\.folder: the model folder/,
    );
    assert.match(settingsProblem(settings('folder')) ?? '', /needs diffusionInfill\.model\.folder/);
  });

  it('finds a folder without a model.json when the setting changes, without loading anything', () => {
    assert.match(settingsProblem(settings('folder', { folder: __dirname })) ?? '', /diffusionInfill\.model\.folder is .*, which has no model\.json/);
    assert.equal(settingsProblem(settings('folder', { folder: FIXTURE })), undefined);
    assert.match(settingsProblem(settings('server', { url: 'localhost:8080' })) ?? '', /no scheme; write it as http:\/\/localhost:8080/);
    assert.equal(settingsProblem(settings('bundled')), undefined, 'this checkout has the bundled model');
  });

  it('opens the test model from a folder as an InfillEngine', async () => {
    const engine = await openConfiguredEngine(settings('folder', { folder: FIXTURE }), () => undefined);
    assert.equal(engine.info.name, 'tiny-random');
  });

  const fim = (values: ModelSettings['values']) =>
    settings('openai-fim', { url: 'https://api.example.com/v1/fim/completions', model: 'mercury-coder', diffusing: true, ...values });

  it('opens an OpenAI-compatible endpoint with the key stored for its server, and logs no key', async () => {
    const asked: string[] = [];
    const logged: string[] = [];
    const engine = await openConfiguredEngine(
      fim({}),
      (m) => logged.push(m),
      async (url) => (asked.push(url), 'sk-secret-key'),
    );
    assert.equal(engine.info.name, 'mercury-coder');
    assert.ok(
      logged.some((m) => m.includes('mercury-coder') && m.includes('(diffusing)')),
      logged.join('\n'),
    );
    assert.deepEqual(asked, ['https://api.example.com/v1/fim/completions']);
    assert.ok(logged.length > 0 && logged.every((m) => !m.includes('sk-secret-key')));
  });

  it("asks for the FIM endpoint's model name in its own setting", async () => {
    await assert.rejects(
      openConfiguredEngine(fim({ model: undefined }), () => undefined),
      /needs diffusionInfill\.model\.openaiFim\.model: the model name \(e\.g\. mercury-coder\)/,
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
