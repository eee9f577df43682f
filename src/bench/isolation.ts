/**
 * What running the model in a child process would cost against the worker thread the engine uses:
 * startup, forward latency (and the in-process forward as the floor), and memory of the editor's
 * process; then what a native crash of each does to the process that hosts it.
 * usage: node dist/isolation.js [--model DIR] [--repeats N] [--sizes 64,256]
 */
import { ChildProcess, fork, spawnSync } from 'node:child_process';
import * as path from 'node:path';
import { parseArgs } from 'node:util';
import { bundledModelDir, readModelConfig, resolveSampler } from '../core';
import { OnnxLogitsModel } from '../core/onnxModel';
import { WorkerLogitsModel } from '../core/workerLogitsModel';

type Forward = (ids: Int32Array, rows: number[]) => Promise<unknown>;

const mb = (bytes: number) => Math.round(bytes / 1e6);
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

async function time(forward: Forward, size: number, maskId: number, repeats: number): Promise<number> {
  const ids = Int32Array.from({ length: size }, (_, i) => (i * 7919) % 256);
  const rows = Array.from({ length: 8 }, (_, k) => (size >> 1) + k);
  for (const r of rows) ids[r] = maskId;
  await forward(ids, rows);
  const times: number[] = [];
  for (let r = 0; r < repeats; r++) {
    const t0 = performance.now();
    await forward(ids, rows);
    times.push(performance.now() - t0);
  }
  return median(times);
}

function childModel(dir: string, answer: 'logits' | 'choices'): Promise<{ child: ChildProcess; forward: Forward }> {
  const child = fork(path.join(__dirname, 'isolationChild.js'), [dir], { serialization: 'advanced', stdio: 'inherit' });
  let next = 0;
  const waiting = new Map<number, (a: Float32Array) => void>();
  return new Promise((resolve, reject) => {
    child.on('message', (m: { kind: string; id: number; answer: Float32Array; message: string }) => {
      if (m.kind === 'ready') {
        resolve({
          child,
          forward: (ids, rows) =>
            new Promise((res) => {
              const id = next++;
              waiting.set(id, res);
              child.send({ kind: answer, id, ids, rows });
            }),
        });
      } else if (m.kind === 'answer') {
        waiting.get(m.id)?.(m.answer);
        waiting.delete(m.id);
      } else reject(new Error(m.message));
    });
  });
}

function rssOf(pid: number): number {
  const r = spawnSync('ps', ['-o', 'rss=', '-p', String(pid)], { encoding: 'utf8' });
  return Number(r.stdout.trim()) * 1024;
}

/**
 * Runs a host process whose model thread or child faults as native code does (SIGSEGV: the kernel
 * delivers it to the faulting thread, and its default action ends the whole process); says what
 * became of the host.
 */
function crash(kind: 'worker' | 'child'): string {
  const fault = "process.kill(process.pid, 'SIGSEGV')";
  const script =
    kind === 'worker'
      ? `const { Worker } = require('node:worker_threads'); new Worker(${JSON.stringify(fault)}, { eval: true }); setTimeout(() => console.log('host alive'), 2000);`
      : `const { spawn } = require('node:child_process'); const c = spawn(process.execPath, ['-e', ${JSON.stringify(fault)}]); c.on('exit', (code, signal) => console.log('host alive; the child ended by ' + signal));`;
  const r = spawnSync(process.execPath, ['-e', script], { encoding: 'utf8', timeout: 20000 });
  return r.signal ? `the host process was killed by ${r.signal}` : (r.stdout.trim().split('\n').pop() ?? '');
}

/**
 * in-process: the forward on the calling thread (the floor); worker: the engine's worker thread,
 * sampling there (proposals cross back); child: a child process sending only each row's choice
 * back; child-logits: one sending the logits back.
 */
type Variant = 'in-process' | 'worker' | 'child' | 'child-logits';
interface Figures {
  startMs: number;
  /** What loading the model added to the measuring (host) process, and the child's own size. */
  hostMb: number;
  childMb: number;
  forwardMs: Record<number, number>;
}

/** One variant in a fresh process, so that no other session's threads or memory are counted. */
async function measure(variant: Variant, dir: string, sizes: number[], repeats: number): Promise<Figures> {
  const config = readModelConfig(dir);
  const rss0 = process.memoryUsage().rss;
  const t0 = performance.now();
  let forward: Forward;
  let dispose: () => Promise<void>;
  let childPid = 0;
  if (variant === 'child' || variant === 'child-logits') {
    const { child, forward: f } = await childModel(dir, variant === 'child' ? 'choices' : 'logits');
    childPid = child.pid!;
    forward = f;
    dispose = async () => void child.send({ kind: 'dispose' });
  } else if (variant === 'worker') {
    const model = await WorkerLogitsModel.load(dir, config);
    const sampler = resolveSampler(config.sampler, { temperature: 0 });
    forward = (ids, rows) => model.propose(ids, { sampler, queries: rows.map((row) => ({ row, allowed: null, seed: 0 })) });
    dispose = () => model.dispose();
  } else {
    const model = await OnnxLogitsModel.load(dir, config);
    forward = (ids, rows) => model.logits(ids, rows);
    dispose = () => model.dispose();
  }
  const startMs = performance.now() - t0;
  const forwardMs: Record<number, number> = {};
  for (const size of sizes) forwardMs[size] = await time(forward, size, config.maskTokenId, repeats);
  const figures = { startMs, hostMb: mb(process.memoryUsage().rss - rss0), childMb: childPid ? mb(rssOf(childPid)) : 0, forwardMs };
  await dispose();
  return figures;
}

async function main() {
  const { values } = parseArgs({
    options: { model: { type: 'string' }, repeats: { type: 'string' }, sizes: { type: 'string' }, rounds: { type: 'string' }, variant: { type: 'string' } },
  });
  const dir = path.resolve(values.model ?? bundledModelDir());
  const repeats = Number(values.repeats ?? 20);
  const config = readModelConfig(dir);
  const sizes = (values.sizes ?? '64,256')
    .split(',')
    .map(Number)
    .filter((n) => n <= config.maxContext);
  if (values.variant) {
    console.log(JSON.stringify(await measure(values.variant as Variant, dir, sizes, repeats)));
    process.exit(0);
  }
  const rounds = Number(values.rounds ?? 3);
  console.log(`model ${config.name} (${dir}); ${rounds} rounds, each variant in a fresh process; forward: median of ${repeats}, 8 rows each`);
  const all: Record<Variant, Figures[]> = { 'in-process': [], worker: [], child: [], 'child-logits': [] };
  for (let r = 0; r < rounds; r++) {
    // Interleaved, so that a busy moment of the machine falls on every variant alike.
    for (const variant of Object.keys(all) as Variant[]) {
      const run = spawnSync(process.execPath, [__filename, '--variant', variant, '--model', dir, '--repeats', String(repeats), '--sizes', sizes.join(',')], {
        encoding: 'utf8',
      });
      if (run.status !== 0) throw new Error(`${variant}: ${run.stderr}`);
      all[variant].push(JSON.parse(run.stdout.trim().split('\n').pop()!));
    }
  }
  const med = (v: Variant, pick: (f: Figures) => number) => median(all[v].map(pick));
  const ratio = (a: number, b: number) => (a / b).toFixed(2);
  const [ip, w, c, cl] = (['in-process', 'worker', 'child', 'child-logits'] as const).map((v) => (f: (x: Figures) => number) => med(v, f));
  console.log(
    `startup ms: in-process ${Math.round(ip((f) => f.startMs))}, worker ${Math.round(w((f) => f.startMs))}, child ${Math.round(c((f) => f.startMs))}; child/worker ${ratio(
      c((f) => f.startMs),
      w((f) => f.startMs),
    )}`,
  );
  console.log(
    `memory MB: the worker adds ${w((f) => f.hostMb)} to the editor's process; the child adds ${c((f) => f.hostMb)} to it and is ${c((f) => f.childMb)} itself; ` +
      `child total / worker ${ratio(
        c((f) => f.hostMb + f.childMb),
        w((f) => f.hostMb),
      )}`,
  );
  console.log('canvas  in-process ms  worker ms  child ms  child-logits ms  worker/in-process  child/worker  child-logits/worker');
  for (const size of sizes) {
    const [a, b, d, e] = [ip((f) => f.forwardMs[size]), w((f) => f.forwardMs[size]), c((f) => f.forwardMs[size]), cl((f) => f.forwardMs[size])];
    const cells = [a, b, d, e].map((x, i) => x.toFixed(2).padStart([13, 9, 8, 15][i]));
    console.log(`${String(size).padStart(6)}  ${cells.join('  ')}  ${ratio(b, a).padStart(17)}  ${ratio(d, b).padStart(12)}  ${ratio(e, b).padStart(19)}`);
  }
  console.log(`a native fault in the model's worker thread: ${crash('worker')}`);
  console.log(`a native fault in the model's child process: ${crash('child')}`);
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
