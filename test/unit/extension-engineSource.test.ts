import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { InfillError } from '../../src/core';
import { bundledFolder, openEngine } from '../../src/extension/engineSource';

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
      openEngine({ source: 'folder', folder: '', remoteUrl: '', device: 'cpu', threads: 0 }, () => undefined),
      /diffusionInfill\.model\.folder is empty/,
    );
  });

  it('opens the test model from a folder as an InfillEngine', async () => {
    const engine = await openEngine({ source: 'folder', folder: path.resolve(__dirname, '../../../test/fixtures/tiny-model'), remoteUrl: '', device: 'cpu', threads: 0 }, () => undefined);
    assert.equal(engine.info.name, 'tiny-random');
  });
});
