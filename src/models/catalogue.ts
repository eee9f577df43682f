import * as os from 'node:os';
import data from './catalogue.json';

/** One downloadable model (catalogue.json): the facts its config lacks and the settings its authors use. */
export interface CatalogueEntry {
  repo: string;
  title: string;
  layout: string;
  params: number;
  downloadBytes: number;
  licence: string;
  /** laptop: runs in the editor; team-server: too slow on a laptop CPU, serve it from a GPU machine. */
  use: 'laptop' | 'team-server';
  recommended?: boolean;
  /** CPU-seconds for a 20-token line at int4 on the project's 2-core test machine. */
  cpuSecondsPerLine: number;
  scores: string;
  facts: string;
  /** model.json sampler fields written when it is pulled: the settings its authors use. */
  sampler: Record<string, unknown>;
  /** Where those settings come from. */
  settingsSource: string;
  /** model.json fields the checkpoint's files do not give (DreamOn's expand token). */
  modelJson?: Record<string, unknown>;
}

export const CATALOGUE: CatalogueEntry[] = data.models as CatalogueEntry[];

/** The model a new user is pointed to: the catalogue's recommended laptop model. */
export const RECOMMENDED: CatalogueEntry = CATALOGUE.find((e) => e.recommended) ?? CATALOGUE[0];

export function catalogueEntry(repo: string): CatalogueEntry | undefined {
  return CATALOGUE.find((e) => e.repo.toLowerCase() === repo.toLowerCase());
}

/** Bytes a model of `params` parameters holds in memory at a precision (weights, plus the runtime's own). */
export function memoryBytes(params: number, precision: string): number {
  const perParam = { int4: 0.6, int8: 1.1, float16: 4, float32: 4 }[precision] ?? 4;
  return params * perParam + 150e6;
}

/** Bytes of the built folder at a precision. */
export function folderBytes(params: number, precision: string): number {
  return params * ({ int4: 0.6, int8: 1.1, float16: 2, float32: 4 }[precision] ?? 4);
}

/** Seconds a 20-token line takes on this machine's cores (the catalogue's CPU-seconds over them). */
export function secondsPerLine(entry: CatalogueEntry, cores = os.availableParallelism()): number {
  return entry.cpuSecondsPerLine / Math.max(1, Math.min(cores, 8));
}
