import * as assert from 'node:assert/strict';
import { InfillEngine, InfillError } from '../../../src/core';
import { ModelService, ModelState } from '../../../src/extension/modelService';
import { ModelSettings } from '../../../src/extension/settings';

const engine = (name: string): InfillEngine => ({
  info: { name, layout: 'dream', device: 'cpu', maxContext: 64 },
  infill: () => {
    throw new Error('not used');
  },
});

const folderOf = (m: ModelSettings) => String(m.values.folder);

describe('model service', () => {
  let model: ModelSettings;
  beforeEach(() => {
    model = { source: 'folder', values: { folder: '/m/a' }, device: 'cpu', threads: 0, modelsFolder: '/nowhere' };
  });

  it('opens the engine once on first use and shares it', async () => {
    const opened: string[] = [];
    const states: ModelState['kind'][] = [];
    const service = new ModelService(
      () => model,
      async (m) => (opened.push(folderOf(m)), engine(folderOf(m))),
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
      async (m) => engine(folderOf(m)),
      () => undefined,
    );
    assert.equal((await service.engine()).info.name, '/m/a');
    model = { ...model, values: { folder: '/m/b' } };
    assert.equal((await service.engine()).info.name, '/m/b');
  });

  it('reports a failed load as an error state and tries again on next use', async () => {
    let fail = true;
    const service = new ModelService(
      () => model,
      async (m) => {
        if (fail) throw new InfillError('no bundled model');
        return engine(folderOf(m));
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
    const told: string[] = [];
    const service = new ModelService(
      () => model,
      async (m) => (opened++, stoppable(folderOf(m))),
      (line) => logged.push(line),
      () => undefined,
      (reason) => told.push(reason.message),
    );
    const first = await service.engine();
    stops[0](new InfillError('the thread stopped unexpectedly'));
    assert.equal(service.state.kind, 'idle');
    assert.match(logged.join('\n'), /thread stopped unexpectedly; it is loaded again on next use/);
    assert.deepEqual(told, ['the thread stopped unexpectedly'], 'the user is told why the model stopped');
    const second = await service.engine();
    assert.notEqual(second, first);
    assert.equal(opened, 2);
    // The old engine's stop arriving late (it was unloaded) must not drop the new one.
    stops[0](new InfillError('the model was unloaded'));
    assert.equal(told.length, 1, 'nor told');
    assert.equal(await service.engine(), second);
    assert.equal(service.state.kind, 'ready');
  });
});

describe('model service: settings checked when they change', () => {
  it('shows a setting that cannot work as an error at once, before any use, and clears it when fixed', () => {
    let model: ModelSettings = { source: 'folder', values: {}, device: 'cpu', threads: 0, modelsFolder: '/nowhere' };
    const problem = (m: ModelSettings) => (m.values.folder ? undefined : 'the model source "folder" needs diffusionInfill.model.folder');
    const service = new ModelService(
      () => model,
      async () => engine('x'),
      () => undefined,
      problem,
    );
    assert.deepEqual(service.state, { kind: 'error', message: 'the model source "folder" needs diffusionInfill.model.folder' }, 'at activation');
    model = { ...model, values: { folder: '/m/a' } };
    service.reset();
    const kind = () => service.state.kind;
    assert.equal(kind(), 'idle', 'fixed: loads on first use');
    model = { ...model, values: {} };
    service.reset();
    assert.equal(kind(), 'error', 'a change of the settings is checked, not only the next completion');
  });
});
