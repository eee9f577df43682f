import * as assert from 'node:assert/strict';
import { InfillEngine, InfillError } from '../../../src/core';
import { ModelService, ModelState } from '../../../src/extension/modelService';
import { ModelSettings } from '../../../src/extension/settings';

const engine = (name: string): InfillEngine => ({
  info: { name, family: 'dream', device: 'cpu', maxContext: 64 },
  infill: () => {
    throw new Error('not used');
  },
});

describe('model service', () => {
  let model: ModelSettings;
  beforeEach(() => {
    model = { source: 'folder', folder: '/m/a', remoteUrl: '', remoteModel: '', remoteDiffusing: false, device: 'cpu', threads: 0 };
  });

  it('opens the engine once on first use and shares it', async () => {
    const opened: string[] = [];
    const states: ModelState['kind'][] = [];
    const service = new ModelService(
      () => model,
      async (m) => (opened.push(m.folder), engine(m.folder)),
      () => undefined,
    );
    service.onDidChangeState((s) => states.push(s.kind));
    assert.equal(service.state.kind, 'idle', 'nothing is loaded at activation');
    const [a, b] = await Promise.all([service.engine(), service.engine()]);
    assert.equal(a, b);
    assert.deepEqual(opened, ['/m/a']);
    assert.deepEqual(states, ['loading', 'ready']);
  });

  it('opens a new engine when the model settings change', async () => {
    const service = new ModelService(
      () => model,
      async (m) => engine(m.folder),
      () => undefined,
    );
    assert.equal((await service.engine()).info.name, '/m/a');
    model = { ...model, folder: '/m/b' };
    assert.equal((await service.engine()).info.name, '/m/b');
  });

  it('reports a failed load as an error state and tries again on next use', async () => {
    let fail = true;
    const service = new ModelService(
      () => model,
      async (m) => {
        if (fail) throw new InfillError('no bundled model');
        return engine(m.folder);
      },
      () => undefined,
    );
    await assert.rejects(service.engine(), /no bundled model/);
    assert.deepEqual(service.state, { kind: 'error', message: 'no bundled model' });
    fail = false;
    assert.equal((await service.engine()).info.name, '/m/a');
    assert.equal(service.state.kind, 'ready');
  });

  it('forgets an engine whose model stopped, and loads it again on next use', async () => {
    const stops: ((reason: Error) => void)[] = [];
    let opened = 0;
    const stoppable = (name: string): InfillEngine => ({ ...engine(name), onStop: (listener) => stops.push(listener) });
    const logged: string[] = [];
    const service = new ModelService(
      () => model,
      async (m) => (opened++, stoppable(m.folder)),
      (line) => logged.push(line),
    );
    const first = await service.engine();
    stops[0](new InfillError('the thread stopped unexpectedly'));
    assert.equal(service.state.kind, 'idle');
    assert.match(logged.join('\n'), /thread stopped unexpectedly; it is loaded again on next use/);
    const second = await service.engine();
    assert.notEqual(second, first);
    assert.equal(opened, 2);
    // The old engine's stop arriving late (it was unloaded) must not drop the new one.
    stops[0](new InfillError('the model was unloaded'));
    assert.equal(await service.engine(), second);
    assert.equal(service.state.kind, 'ready');
  });
});
