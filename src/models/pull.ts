import * as fs from 'node:fs';
import * as path from 'node:path';
import { BUILDER_VERSION, convertCheckpoint, ConvertOptions } from '../convert/convert';
import { Precision } from '../convert/weights';
import { InfillError } from '../core/errors';
import { catalogueEntry, folderBytes } from './catalogue';
import { downloadFile } from './download';
import { HubClient, HubError, parseRepoRef, RepoFile } from './hub';
import { InstalledModel, Manifest, MANIFEST, MANIFEST_FORMAT, ModelStore } from './store';

export type PullEvent =
  | { phase: 'resolved'; repo: string; commit: string; files: number; bytes: number; toDownload: number; freeBytes: number }
  | { phase: 'download'; done: number; total: number; bytesPerSecond: number; secondsLeft: number | null; file: string }
  | { phase: 'convert'; done: number; total: number; tensor: string }
  | { phase: 'installed'; model: InstalledModel; reused: boolean };

export interface PullOptions {
  precision: Precision;
  store: ModelStore;
  hub: HubClient;
  onEvent?: (e: PullEvent) => void;
  signal?: AbortSignal;
  /** Files downloaded at once. */
  parallel?: number;
  /** Free bytes where the store is (statfs by default). */
  freeBytes?: (dir: string) => number;
  /** Builds the folder: in this process by default; the extension runs it on a worker thread. */
  convert?: (hfDir: string, outDir: string, options: ConvertOptions) => Promise<void>;
}

const convertHere = async (hfDir: string, outDir: string, options: ConvertOptions) => void convertCheckpoint(hfDir, outDir, options);

/** The files a model folder is built from: the configs, the tokenizer files, the safetensors shards. */
const NEEDED = /^(config\.json|generation_config\.json|tokenizer\.json|tokenizer_config\.json|special_tokens_map\.json|added_tokens\.json|vocab\.json|merges\.txt|model\.safetensors\.index\.json|[^/]+\.safetensors)$/;

/**
 * ORG/NAME[@REVISION] from the hub into the store: resolve the revision to a commit, list its files,
 * download only what conversion needs (resuming what a cut or cancelled pull left), check free disk
 * space first, build the model folder, write its manifest into it before it takes its place, and
 * drop the downloaded checkpoint.  With HF_HUB_OFFLINE, only what is installed is used.  A model
 * already installed at that commit and precision is not downloaded again.
 */
export async function pullModel(ref: string, o: PullOptions): Promise<InstalledModel> {
  const { repo, revision } = parseRepoRef(ref);
  const emit = o.onEvent ?? (() => {});
  if (o.hub.settings.offline) {
    const have = o.store.find(ref, o.precision);
    if (have) {
      emit({ phase: 'installed', model: have, reused: true });
      return have;
    }
    throw new HubError('offline', `HF_HUB_OFFLINE is set and ${ref} (${o.precision}) is not installed in ${o.store.home}`);
  }
  const info = await o.hub.info(repo, revision, o.signal);
  const installed = o.store.installed().find((m) => m.manifest.repo === repo && m.manifest.commit === info.commit && m.manifest.precision === o.precision);
  if (installed) {
    emit({ phase: 'installed', model: installed, reused: true });
    return installed;
  }
  const downloads = o.store.downloadDir(repo, info.commit);
  const plan = planFiles(repo, info.files);
  // The configs and the index first: the index says which shards the weights are.
  await downloadAll(o, repo, info.commit, plan.meta, downloads, () => {});
  const files = [...plan.meta, ...shardsOf(downloads, plan.shards)];
  const onDisk = (f: RepoFile) => {
    const p = path.join(downloads, f.path);
    return fs.existsSync(p) ? f.size : fs.existsSync(`${p}.part`) ? Math.min(f.size, fs.statSync(`${p}.part`).size) : 0;
  };
  const total = files.reduce((a, f) => a + f.size, 0);
  const toDownload = total - files.reduce((a, f) => a + onDisk(f), 0);
  const free = (o.freeBytes ?? freeBytes)(o.store.home);
  const params = catalogueEntry(repo)?.params ?? total / 2;
  const needed = toDownload + folderBytes(params, o.precision) + (64 << 20);
  emit({ phase: 'resolved', repo, commit: info.commit, files: files.length, bytes: total, toDownload, freeBytes: free });
  if (free < needed) {
    throw new InfillError(
      `${repo}: the download (${gb(toDownload)} left of ${gb(total)}) and the built model (about ${gb(folderBytes(params, o.precision))}) need ${gb(needed)}, ` +
        `but ${o.store.home} has ${gb(free)} free: free some space, or set DIFFUSION_INFILL_HOME to a disk with room`,
    );
  }

  await downloadAll(o, repo, info.commit, files, downloads, emit);

  const manifest: Manifest = {
    format: MANIFEST_FORMAT,
    repo,
    revision,
    commit: info.commit,
    precision: o.precision,
    builderVersion: BUILDER_VERSION,
    files,
    pulledAt: new Date().toISOString(),
  };
  const dir = o.store.modelDir(repo, info.commit, o.precision);
  await (o.convert ?? convertHere)(downloads, dir, {
    precision: o.precision,
    blockSize: 32,
    cache: true,
    special: {},
    name: repo,
    sampler: catalogueEntry(repo)?.sampler,
    modelJson: catalogueEntry(repo)?.modelJson,
    overwrite: true,
    extraFiles: { [MANIFEST]: JSON.stringify(manifest, null, 2) + '\n' },
    onProgress: (done, all, tensor) => emit({ phase: 'convert', done, total: all, tensor }),
  });
  fs.rmSync(downloads, { recursive: true, force: true });
  if (fs.readdirSync(path.dirname(downloads)).length === 0) fs.rmdirSync(path.dirname(downloads));
  const model = o.store.installed().find((m) => m.dir === dir);
  if (!model) throw new InfillError(`${dir} was built but has no manifest`);
  emit({ phase: 'installed', model, reused: false });
  return model;
}

/** The repository's files conversion needs: its configs and tokenizer files, and its top-level safetensors shards. */
export function planFiles(repo: string, files: RepoFile[]): { meta: RepoFile[]; shards: RepoFile[] } {
  const wanted = files.filter((f) => NEEDED.test(f.path));
  if (!wanted.some((f) => f.path === 'config.json')) throw new InfillError(`${repo} has no config.json at its top: not a Hugging Face model checkpoint`);
  const shards = wanted.filter((f) => f.path.endsWith('.safetensors'));
  if (!shards.length) {
    const other = files.find((f) => /\.(bin|pt|pth|gguf|ckpt)$/.test(f.path));
    throw new InfillError(`${repo} has no *.safetensors weights${other ? ` (only ${other.path})` : ''}: the builder reads safetensors only`);
  }
  return { meta: wanted.filter((f) => !f.path.endsWith('.safetensors')), shards };
}

/** The shards the downloaded index names (a repository may also hold other copies), or all of them without an index. */
function shardsOf(dir: string, shards: RepoFile[]): RepoFile[] {
  const index = path.join(dir, 'model.safetensors.index.json');
  if (!fs.existsSync(index)) return shards;
  const named = new Set(Object.values((JSON.parse(fs.readFileSync(index, 'utf8')) as { weight_map: Record<string, string> }).weight_map));
  const missing = [...named].filter((n) => !shards.some((s) => s.path === n));
  if (missing.length) throw new InfillError(`the index names ${missing.join(', ')}, which the repository does not have`);
  return shards.filter((s) => named.has(s.path));
}

/** Downloads files, `parallel` at a time, reporting the whole plan's progress (never backwards). */
async function downloadAll(o: PullOptions, repo: string, commit: string, files: RepoFile[], dir: string, emit: (e: PullEvent) => void): Promise<void> {
  const total = files.reduce((a, f) => a + f.size, 0);
  const perFile = new Map<string, number>();
  const started = performance.now();
  let startBytes: number | undefined;
  let shown = 0;
  let lastEmit = 0;
  const report = (file: string, force = false) => {
    const done = [...perFile.values()].reduce((a, b) => a + b, 0);
    startBytes ??= done;
    shown = Math.max(shown, done);
    const now = performance.now();
    if (!force && now - lastEmit < 250) return;
    lastEmit = now;
    const rate = ((done - startBytes) / Math.max(1, now - started)) * 1000;
    emit({ phase: 'download', done: shown, total, bytesPerSecond: rate, secondsLeft: rate > 0 ? (total - done) / rate : null, file });
  };
  const queue = [...files].sort((a, b) => a.size - b.size);
  const worker = async () => {
    for (let f = queue.shift(); f; f = queue.shift()) {
      const file = f;
      await downloadFile(o.hub, repo, commit, file, path.join(dir, file.path), (bytes) => {
        perFile.set(file.path, bytes);
        report(file.path);
      }, o.signal);
      report(file.path, true);
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, o.parallel ?? 3) }, worker));
}

function freeBytes(dir: string): number {
  const s = fs.statfsSync(dir);
  return s.bavail * s.bsize;
}

/** A size as a user reads it: MB below a tenth of a GB, else GB. */
export const gb = (bytes: number) => (bytes < 1e8 ? `${(bytes / 1e6).toFixed(bytes < 1e6 ? 2 : 1)} MB` : `${(bytes / 1e9).toFixed(bytes < 1e9 ? 2 : 1)} GB`);
