import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { InfillError } from '../core/errors';
import { parseRepoRef, RepoFile } from './hub';

/**
 * The models a user pulled, shared by the CLI and the extension:
 *   HOME/models/ORG--NAME/COMMIT-PRECISION/   a model folder and its manifest.json
 *   HOME/downloads/ORG--NAME/COMMIT/          the checkpoint's files while they download (*.part)
 * Plain folders, no symbolic links.  A model counts as installed only once its manifest is there:
 * the builder writes it into the folder before the folder takes its place.
 */
export interface Manifest {
  format: typeof MANIFEST_FORMAT;
  repo: string;
  /** What was asked for (a branch, a tag or a commit). */
  revision: string;
  commit: string;
  precision: string;
  builderVersion: number;
  /** The checkpoint's files the folder was built from, with the hub's hashes. */
  files: RepoFile[];
  pulledAt: string;
}

export const MANIFEST_FORMAT = 'diffusion-infill-pull/1';
export const MANIFEST = 'manifest.json';

export interface InstalledModel {
  name: string;
  dir: string;
  manifest: Manifest;
  bytes: number;
}

export interface PartialDownload {
  repo: string;
  commit: string;
  dir: string;
  bytes: number;
}

/** DIFFUSION_INFILL_HOME, else the platform's cache folder + diffusion-infill. */
export function defaultHome(env: NodeJS.ProcessEnv = process.env): string {
  if (env.DIFFUSION_INFILL_HOME) return path.resolve(env.DIFFUSION_INFILL_HOME);
  if (process.platform === 'win32') return path.join(env.LOCALAPPDATA || path.join(os.homedir(), 'AppData', 'Local'), 'diffusion-infill');
  if (process.platform === 'darwin') return path.join(os.homedir(), 'Library', 'Caches', 'diffusion-infill');
  return path.join(env.XDG_CACHE_HOME || path.join(os.homedir(), '.cache'), 'diffusion-infill');
}

const slug = (repo: string) => repo.replace('/', '--');
const unslug = (s: string) => s.replace('--', '/');

export class ModelStore {
  constructor(readonly home: string) {}

  modelDir(repo: string, commit: string, precision: string): string {
    return path.join(this.home, 'models', slug(repo), `${commit}-${precision}`);
  }

  downloadDir(repo: string, commit: string): string {
    return path.join(this.home, 'downloads', slug(repo), commit);
  }

  /** Every model whose manifest is complete, newest first. */
  installed(): InstalledModel[] {
    const out: InstalledModel[] = [];
    for (const [repoDir, entry] of this.entries('models')) {
      const dir = path.join(repoDir, entry);
      const manifest = readManifest(dir);
      if (manifest) out.push({ name: manifest.repo, dir, manifest, bytes: folderBytes(dir) });
    }
    return out.sort((a, b) => b.manifest.pulledAt.localeCompare(a.manifest.pulledAt));
  }

  /** Downloads not yet built into a model (kept for the next pull to resume). */
  partials(): PartialDownload[] {
    return this.entries('downloads').map(([repoDir, commit]) => ({
      repo: unslug(path.basename(repoDir)),
      commit,
      dir: path.join(repoDir, commit),
      bytes: folderBytes(path.join(repoDir, commit)),
    }));
  }

  /** The installed model a name means: ORG/NAME (the newest pulled), ORG/NAME@REVISION (a branch or commit asked for, or a commit's prefix), optionally of one precision. */
  find(name: string, precision?: string): InstalledModel | undefined {
    const { repo, revision } = parseRepoRef(name);
    const explicit = name.includes('@');
    return this.installed().find(
      (m) =>
        m.manifest.repo === repo &&
        (!precision || m.manifest.precision === precision) &&
        (!explicit || m.manifest.revision === revision || (revision.length >= 7 && m.manifest.commit.startsWith(revision))),
    );
  }

  /** Removes a repository's models (of one precision, or all) and its partial downloads; returns what went. */
  remove(name: string, precision?: string): string[] {
    const { repo } = parseRepoRef(name);
    const gone: string[] = [];
    for (const m of this.installed()) {
      if (m.manifest.repo === repo && (!precision || m.manifest.precision === precision)) {
        fs.rmSync(m.dir, { recursive: true, force: true });
        gone.push(m.dir);
      }
    }
    for (const p of this.partials()) {
      if (p.repo === repo) {
        fs.rmSync(p.dir, { recursive: true, force: true });
        gone.push(p.dir);
      }
    }
    for (const top of ['models', 'downloads']) {
      const dir = path.join(this.home, top, slug(repo));
      if (fs.existsSync(dir) && fs.readdirSync(dir).length === 0) fs.rmdirSync(dir);
    }
    return gone;
  }

  /** Removes one partial download (a folder partials() listed); returns what went. */
  removePartial(dir: string): string[] {
    if (!this.partials().some((p) => p.dir === dir)) return [];
    fs.rmSync(dir, { recursive: true, force: true });
    return [dir];
  }

  /** [repo folder, entry] under HOME/<top>/ORG--NAME/, skipping builds in progress. */
  private entries(top: string): [string, string][] {
    const root = path.join(this.home, top);
    if (!fs.existsSync(root)) return [];
    return fs.readdirSync(root).flatMap((r) => {
      const repoDir = path.join(root, r);
      if (!r.includes('--') || !fs.statSync(repoDir).isDirectory()) return [];
      return fs
        .readdirSync(repoDir)
        .filter((e) => !/\.(partial|old)-\d+$/.test(e) && fs.statSync(path.join(repoDir, e)).isDirectory())
        .map((e) => [repoDir, e] as [string, string]);
    });
  }
}

function readManifest(dir: string): Manifest | undefined {
  try {
    const m = JSON.parse(fs.readFileSync(path.join(dir, MANIFEST), 'utf8')) as Manifest;
    return m.format === MANIFEST_FORMAT && fs.existsSync(path.join(dir, 'model.json')) ? m : undefined;
  } catch {
    return undefined;
  }
}

function folderBytes(dir: string): number {
  let total = 0;
  for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    total += e.isDirectory() ? folderBytes(p) : fs.statSync(p).size;
  }
  return total;
}

/** The folder of a pulled model in the default store (DIFFUSION_INFILL_HOME), by its repository id. */
export function pulledFolder(repo: string): string | undefined {
  try {
    return new ModelStore(defaultHome()).find(repo)?.dir;
  } catch {
    return undefined;
  }
}

/**
 * The model folder a `--model` argument means: a folder, or a pulled repository id
 * (ORG/NAME[@REVISION]).  Names what to do when it is neither.
 */
export function resolveModelArg(arg: string, store = new ModelStore(defaultHome())): string {
  if (fs.existsSync(arg)) return arg;
  let installed: InstalledModel | undefined;
  try {
    installed = store.find(arg);
  } catch {
    throw new InfillError(`--model ${arg}: no such folder, and not a repository id (ORG/NAME)`);
  }
  if (!installed) throw new InfillError(`--model ${arg}: no such folder, and no pulled model of that name in ${store.home}: pull it with diffusion-infill models pull ${arg}`);
  return installed.dir;
}
