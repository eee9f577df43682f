import * as assert from 'node:assert/strict';
import { LAYOUTS } from '../../../src/convert/layouts';
import { resolveSampler } from '../../../src/core';
import { CATALOGUE, RECOMMENDED } from '../../../src/models/catalogue';
import { parseRepoRef } from '../../../src/models/hub';

describe('models: the catalogue of downloadable models', () => {
  it('each entry is a repository of a layout the builder reads, with settings the engine takes', () => {
    const layouts = new Set(LAYOUTS.map((l) => l.name));
    for (const e of CATALOGUE) {
      assert.equal(parseRepoRef(e.repo).repo, e.repo);
      assert.ok(layouts.has(e.layout), `${e.repo}: layout ${e.layout}`);
      assert.doesNotThrow(() => resolveSampler(e.sampler as never), `${e.repo}: its sampler`);
      assert.ok(e.settingsSource.length > 10, `${e.repo} says where its settings come from`);
      assert.ok(e.params > 0 && e.downloadBytes > 0 && e.cpuSecondsPerLine > 0 && e.licence);
    }
  });

  it('recommends a laptop model, and marks the 7-8B ones for a team server', () => {
    assert.equal(RECOMMENDED.use, 'laptop');
    assert.equal(RECOMMENDED.repo, 'fredzzp/open-dcoder-0.5B');
    for (const e of CATALOGUE) if (e.params > 5e9) assert.equal(e.use, 'team-server', e.repo);
  });
});
