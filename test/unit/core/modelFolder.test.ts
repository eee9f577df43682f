import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { InfillError, loadModelFolder, readModelConfig } from '../../../src/core';
import { spawnSync } from 'node:child_process';
import { BUNDLED_MODEL, copyOfTinyModel, tempDir, withExternalData } from '../support/fixtures';

describe('model folder checks', () => {
  let temp: ReturnType<typeof tempDir>;
  let dir: string;
  beforeEach(() => {
    temp = tempDir();
    dir = copyOfTinyModel(temp.dir);
  });
  afterEach(() => temp.remove());

  const editConfig = (edit: (c: Record<string, any>) => void) => {
    const file = path.join(dir, 'model.json');
    const c = JSON.parse(fs.readFileSync(file, 'utf8'));
    edit(c);
    fs.writeFileSync(file, JSON.stringify(c));
  };
  const refused = (pattern: RegExp) => assert.rejects(loadModelFolder(dir), (e: Error) => e instanceof InfillError && pattern.test(e.message));

  it('loads the intact copy', async () => {
    const model = await loadModelFolder(dir);
    assert.equal(model.config.logitsShifted, true);
    assert.equal(model.config.layout, 'dream');
  });

  it("reads a grown hole's tokens: [expand], and the delete token, which is the end of text unless given", () => {
    assert.equal(readModelConfig(dir).expandTokenId, undefined);
    editConfig((c) => (c.expandTokenId = 255));
    assert.deepEqual([readModelConfig(dir).expandTokenId, readModelConfig(dir).deleteTokenId], [255, 257]);
    editConfig((c) => (c.deleteTokenId = 258));
    assert.equal(readModelConfig(dir).deleteTokenId, 258);
  });

  it('refuses [expand] that is another special token, a delete without [expand], and ids past the vocabulary', async () => {
    editConfig((c) => (c.expandTokenId = 256));
    await refused(/"expandTokenId" 256 must differ from maskTokenId/);
    editConfig((c) => {
      c.expandTokenId = undefined;
      c.deleteTokenId = 257;
    });
    await refused(/"deleteTokenId" needs "expandTokenId"/);
    editConfig((c) => {
      c.expandTokenId = 9999;
      c.deleteTokenId = undefined;
    });
    await refused(/"expandTokenId" must be a token id below vocabSize/);
    editConfig((c) => (c.expandTokenId = 259));
    await refused(/the tokenizer does not know the expand token id 259/);
  });

  it('names a missing file', async () => {
    fs.rmSync(path.join(dir, 'model.onnx'));
    await refused(/has no model\.onnx/);
  });

  it('names a missing tokenizer', async () => {
    fs.rmSync(path.join(dir, 'tokenizer.json'));
    await refused(/tokenizer\.json is missing/);
  });

  it('names a missing config', async () => {
    fs.rmSync(path.join(dir, 'model.json'));
    await refused(/has no model\.json/);
  });

  it('resolves onnx.file and the external data it names inside the folder, and refuses anything else before onnxruntime opens it', async () => {
    withExternalData(dir, 'weights.bin');
    const loaded = await loadModelFolder(dir);
    await loaded.network.dispose();
    withExternalData(dir, '../weights.bin');
    assert.ok(fs.existsSync(path.join(temp.dir, 'weights.bin')), 'the outside file is there, with the right bytes');
    await refused(/external data of model\.onnx names "\.\.\/weights\.bin", outside the model folder/);
    for (const name of ['../other/model.onnx', path.join(dir, 'model.onnx'), 'sub/../../x.onnx']) {
      editConfig((c) => (c.onnx.file = name));
      await refused(/onnx\.file in model\.json names .*, outside the model folder/);
    }
  });

  it('refuses an onnx.file that is not a regular file (a FIFO would block the load forever)', async () => {
    assert.equal(spawnSync('mkfifo', [path.join(dir, 'pipe.onnx')]).status, 0);
    editConfig((c) => (c.onnx.file = 'pipe.onnx'));
    await refused(/pipe\.onnx \(onnx\.file in model\.json\) is not a regular file/);
  });

  it("refuses a ropeTheta that does not turn the graph's keys, and a mask that is an ordinary token", async () => {
    editConfig((c) => (c.onnx.cache.ropeTheta = 500000));
    await refused(/onnx\.cache\.ropeTheta 500000 does not turn the graph's keys/);
    editConfig((c) => {
      c.onnx.cache.ropeTheta = 10000;
      c.maskTokenId = 97;
    });
    await refused(/maskTokenId 97 is the tokenizer's ordinary token "a", not a special one/);
  });

  it('names input names the graph does not have', async () => {
    editConfig((c) => (c.onnx.inputs.positionIds = 'position_index'));
    await refused(/not in the graph: position_index/);
  });

  it('names graph inputs the config does not', async () => {
    editConfig((c) => {
      c.onnx.inputs.attentionMask = null;
      delete c.onnx.cache;
    });
    await refused(/unknown input names: attention_mask, past_key\.0, past_value\.0/);
  });

  it('names a cache whose graph needs inputs the config leaves out, a bad cache field, and a missing decide output', async () => {
    editConfig((c) => (c.onnx.inputs.positionIds = null));
    await refused(/"onnx\.cache" needs "onnx\.inputs\.positionIds"/);
    editConfig((c) => {
      c.onnx.inputs.positionIds = 'position_ids';
      c.onnx.cache.layers = 0;
    });
    await refused(/"onnx\.cache\.layers" must be a whole number from 1/);
    editConfig((c) => (c.onnx.cache.layers = 3));
    await refused(/not in the graph: past_key\.2, past_value\.2/);
    editConfig((c) => {
      c.onnx.cache.layers = 2;
      c.onnx.cache.presentKey = 'present_key';
    });
    await refused(/"onnx\.cache\.presentKey" must be a name with "\{layer\}"/);
    editConfig((c) => {
      c.onnx.cache.presentKey = 'present_key.{layer}';
      c.onnx.decide.entropy = 'entropies';
    });
    await refused(/no output "entropies"/);
  });

  it('refuses a tokenizer larger than the logits', async () => {
    editConfig((c) => (c.vocabSize = 100));
    await refused(/token id below vocabSize|tokenizer and model disagree/);
  });

  it('refuses logits that disagree with vocabSize', async () => {
    editConfig((c) => (c.vocabSize = 300));
    await refused(/logits have 260 columns but model\.json says vocabSize 300/);
  });

  it("refuses a model.onnx made for another vocabulary with both numbers, not the runtime's Gather error", async () => {
    // The bundled model's config and tokenizer (vocabSize 6144) beside the tiny graph (260 columns).
    // The graph's own inputs and outputs (the bundled graph has more layers of cache), so only the vocabulary differs.
    const { onnx } = JSON.parse(fs.readFileSync(path.join(dir, 'model.json'), 'utf8'));
    for (const file of ['model.json', 'tokenizer.json']) fs.copyFileSync(path.join(BUNDLED_MODEL, file), path.join(dir, file));
    editConfig((c) => (c.onnx = onnx));
    await refused(/model\.onnx: the model's logits have 260 columns but model\.json says vocabSize 6144: model\.json and model\.onnx do not belong together/);
    await assert.rejects(loadModelFolder(dir), (e: Error) => !/Gather/.test(e.message));
  });

  it('refuses a mask token the tokenizer does not know', async () => {
    editConfig((c) => (c.maskTokenId = 259));
    await refused(/does not know the mask token id 259/);
  });

  it('reads tokenHealing (default true) and refuses a value that is not true or false', async () => {
    assert.equal(readModelConfig(dir).tokenHealing, true);
    editConfig((c) => (c.tokenHealing = 'yes'));
    await refused(/"tokenHealing" must be true or false/);
  });

  it('refuses a mask token that is also the end token', async () => {
    editConfig((c) => (c.maskTokenId = c.eosTokenId));
    await refused(/"maskTokenId" \d+ must differ from eosTokenId and padTokenId/);
  });

  it('refuses a maxContext beyond the bound, naming it', async () => {
    editConfig((c) => (c.maxContext = 1e9));
    await refused(/"maxContext" must be a whole number from 1 to 131072/);
  });

  it('refuses a folder that does not say whether its logits are shifted', async () => {
    editConfig((c) => delete c.logitsShifted);
    await refused(/"logitsShifted" must be true .* build it again with diffusion-infill models convert/);
  });
});
