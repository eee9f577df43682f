import * as assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import * as path from 'node:path';
import { InfillError, LocalEngine, loadModelFolder, LogitsModel, parseMarkers, unloadModels } from '../../../src/core';
import { collect } from '../support/events';
import { copyOfTinyModel, tempDir } from '../support/fixtures';

const CORE = path.resolve(__dirname, '..', '..', '..', 'src', 'core');
const TINY = path.resolve(__dirname, '..', '..', '..', '..', 'test', 'fixtures', 'tiny-model');

/** Runs a script in a fresh node process; the timeout catches a process kept alive by the model's thread. */
function runNode(script: string): string {
  return execFileSync(process.execPath, ['-e', script], { encoding: 'utf8', timeout: 20_000 });
}

describe('the network on its own thread', () => {
  it('fills holes without loading onnxruntime on the main thread', () => {
    // A fresh process: the mocha process itself has loaded onnxruntime for other tests.
    const script = `
      const core = require(${JSON.stringify(CORE)});
      (async () => {
        const model = await core.loadModelFolder(${JSON.stringify(TINY)});
        const engine = new core.LocalEngine(model);
        let result;
        for await (const e of engine.infill(core.parseMarkers('a = <|hole:4|>\\n'), { seed: 1 })) if (e.type === 'result') result = e;
        const native = Object.keys(require.cache).filter((k) => k.includes('onnxruntime-node'));
        console.log(JSON.stringify({ filled: !result.text.includes('<|hole'), native }));
      })();`;
    const out = JSON.parse(runNode(script));
    assert.deepEqual(out, { filled: true, native: [] });
  });

  it('samples on the worker exactly as the calling thread would, healed and single-line holes included', async () => {
    const model = await loadModelFolder(TINY);
    assert.ok(model.network.propose, 'the worker samples next to the logits');
    // The same network seen as logits only: the engine then samples on the calling thread.
    const logitsOnly: LogitsModel = {
      vocabSize: model.network.vocabSize,
      logits: (ids, rows) => model.network.logits(ids, rows),
      dispose: async () => undefined,
    };
    const request = parseMarkers('def f(x):\n    return x.ba<|hole:6|> + 1\n<|hole|>\n');
    // cacheRefresh 1: every step a full pass, as the logits-only network runs (the cache is tested in contextCache.test.ts).
    const options = { temperature: 0.8, topP: 0.9, seed: 11, tokenHealing: true, cacheRefresh: 1 };
    const onWorker = await collect(new LocalEngine(model).infill(request, options));
    const onCaller = await collect(new LocalEngine({ ...model, network: logitsOnly }).infill(request, options));
    assert.deepEqual(onWorker.result.holes, onCaller.result.holes);
    assert.deepEqual(
      onWorker.drafts.map((d) => [d.holes, d.committed]),
      onCaller.drafts.map((d) => [d.holes, d.committed]),
    );
    assert.ok(onWorker.drafts.length > 1);
  });

  it('the process exits when the work is done, with the model still loaded', () => {
    // The worker must not keep a CLI run alive; this would time out if it did.
    const script = `require(${JSON.stringify(CORE)}).loadModelFolder(${JSON.stringify(TINY)}).then((m) => m.network.logits(Int32Array.of(1, 2), [0])).then(() => console.log('done'))`;
    assert.equal(runNode(script).trim(), 'done');
  });

  it('dispose comes back once the thread has released the model, with nothing else keeping the process alive', () => {
    const script = `require(${JSON.stringify(CORE)}).loadModelFolder(${JSON.stringify(TINY)}).then((m) => m.network.dispose()).then(() => console.log('disposed'))`;
    assert.equal(runNode(script).trim(), 'disposed');
  });

  it('a model whose thread died is loaded afresh by the next call', async () => {
    const temp = tempDir();
    try {
      const dir = copyOfTinyModel(temp.dir);
      const first = await loadModelFolder(dir);
      const stopped = new Promise<Error>((resolve) => new LocalEngine(first).onStop(resolve));
      (first.network as unknown as { channel: { terminate(): void } }).channel.terminate();
      assert.match((await stopped).message, /stopped unexpectedly/, 'the engine tells its owner that the model stopped');
      await assert.rejects(first.network.logits(Int32Array.of(1, 2), [0]), InfillError);
      const second = await loadModelFolder(dir);
      assert.notEqual(second, first);
      assert.equal((await second.network.logits(Int32Array.of(1, 2), [0])).length, second.config.vocabSize);
    } finally {
      temp.remove();
    }
  });

  it('a fresh process loads a model again after unloading it and after its thread died', () => {
    // The extension host never loads onnxruntime on its main thread (the mocha process has).
    const script = `
      const core = require(${JSON.stringify(CORE)});
      const forward = async () => (await (await core.loadModelFolder(${JSON.stringify(TINY)})).network.logits(Int32Array.of(1, 2), [0])).length;
      (async () => {
        const seen = [await forward()];
        await core.unloadModels();
        seen.push(await forward());
        const model = await core.loadModelFolder(${JSON.stringify(TINY)});
        const stopped = new Promise((resolve) => model.network.onStop(resolve));
        model.network.channel.terminate();
        await stopped;
        seen.push(await forward());
        console.log(JSON.stringify(seen));
      })().catch((e) => console.log(e.message));`;
    const vocab = 260;
    assert.equal(runNode(script).trim(), JSON.stringify([vocab, vocab, vocab]));
  });

  it('in a child process, a native fault of the runtime ends only the model: the engine says so, and the next load works', async () => {
    const temp = tempDir();
    try {
      const dir = copyOfTinyModel(temp.dir);
      const first = await loadModelFolder(dir, { isolation: 'process' });
      const pid = (first.network as unknown as { pid: number | null }).pid;
      assert.ok(pid !== null && pid !== process.pid, 'the model runs in a process of its own');
      const { result } = await collect(new LocalEngine(first).infill(parseMarkers('a = <|hole:4|>\n'), { seed: 1 }));
      assert.ok(!result.text.includes('<|hole'));
      const stopped = new Promise<Error>((resolve) => new LocalEngine(first).onStop(resolve));
      // What a segfault in onnxruntime does: on a worker thread it would end this (the host) process too.
      process.kill(pid, 'SIGSEGV');
      assert.match((await stopped).message, /the model's process stopped unexpectedly \(signal SIGSEGV\): load the model again/);
      await assert.rejects(first.network.logits(Int32Array.of(1, 2), [0]), InfillError);
      const second = await loadModelFolder(dir, { isolation: 'process' });
      assert.equal((await second.network.logits(Int32Array.of(1, 2), [0])).length, second.config.vocabSize);
      await second.network.dispose();
    } finally {
      temp.remove();
    }
  });

  it('in a child process that stops answering (SIGSTOP), Cancel and the time limit end it after a grace period, and say so', async () => {
    const temp = tempDir();
    const pids: number[] = [];
    // Within this the watchdog has ended the child; without it, the generation never ends.
    const within = <T>(ms: number, p: Promise<T>) =>
      Promise.race([p, new Promise<never>((_, reject) => setTimeout(() => reject(new Error(`still waiting after ${ms} ms`)), ms))]);
    try {
      const dir = copyOfTinyModel(temp.dir);
      const request = parseMarkers('a = <|hole:64|>\n');
      for (const how of ['Cancel', 'time limit'] as const) {
        const model = await loadModelFolder(dir, { isolation: 'process', stuckAfterMs: 300 });
        const pid = (model.network as unknown as { pid: number }).pid;
        pids.push(pid);
        const engine = new LocalEngine(model);
        const stopped = new Promise<Error>((resolve) => engine.onStop(resolve));
        const abort = new AbortController();
        const options = { steps: 64, cacheRefresh: 1, ...(how === 'time limit' ? { timeLimitSeconds: 1 } : {}) };
        const ended = (async () => {
          for await (const event of engine.infill(request, options, abort.signal)) {
            if (event.type === 'draft' && event.step === 1) {
              process.kill(pid, 'SIGSTOP');
              // Cancel while the next forward waits on the stopped child.
              if (how === 'Cancel') setTimeout(() => abort.abort(), 200);
            }
          }
        })();
        const error = await within(
          10_000,
          ended.then(
            () => null,
            (e: Error) => e,
          ),
        );
        assert.ok(error instanceof InfillError, `${how}: ${error}`);
        const words = how === 'Cancel' ? 'Cancel' : 'the time limit \\(timeLimitSeconds 1\\)';
        assert.match(
          error.message,
          new RegExp(`the model's process gave no answer 0\\.3 s after ${words}: it was ended, and is loaded again on the next request`),
        );
        assert.equal((await within(5000, stopped)).message, error.message, 'whoever loaded the model hears why it stopped');
        await within(
          5000,
          eventually(() => !alive(pid)),
        );
      }
      const again = await loadModelFolder(dir, { isolation: 'process' });
      assert.equal((await again.network.logits(Int32Array.of(1, 2), [0])).length, again.config.vocabSize, 'the next load works');
      await again.network.dispose();
    } finally {
      for (const pid of pids) if (alive(pid)) process.kill(pid, 'SIGKILL');
      temp.remove();
    }
  });

  it('in a child process, the host process still exits when the work is done, and dispose comes back', () => {
    const script = `require(${JSON.stringify(CORE)}).loadModelFolder(${JSON.stringify(TINY)}, { isolation: 'process' })
      .then(async (m) => { await m.network.logits(Int32Array.of(1, 2), [0]); console.log('done'); return m; })
      .then((m) => m.network.dispose()).then(() => console.log('disposed'))`;
    assert.deepEqual(runNode(script).trim().split('\n'), ['done', 'disposed']);
  });

  it('a forward after unloading is refused with a clear error', async () => {
    const temp = tempDir();
    try {
      const model = await loadModelFolder(copyOfTinyModel(temp.dir));
      await unloadModels();
      await assert.rejects(model.network.logits(Int32Array.of(1, 2), [0]), (e: Error) => e instanceof InfillError && /unloaded/.test(e.message));
    } finally {
      temp.remove();
    }
  });
});

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

async function eventually(check: () => boolean): Promise<void> {
  while (!check()) await new Promise((resolve) => setTimeout(resolve, 20));
}
