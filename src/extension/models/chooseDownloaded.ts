import * as vscode from 'vscode';
import { CATALOGUE, CatalogueEntry, folderBytes, memoryBytes, secondsPerLine } from '../../models/catalogue';
import { parseRepoRef } from '../../models/hub';
import { gb } from '../../models/pull';
import { updateSetting } from '../menu/switches';
import { ModelService } from '../modelService';
import { ExtensionSettings } from '../settings';
import { modelStore } from './hubAccess';
import { pullWithProgress } from './pullWithProgress';

export interface DownloadedDeps {
  context: vscode.ExtensionContext;
  settings: () => ExtensionSettings;
  models: ModelService;
  log: vscode.LogOutputChannel;
}

type Choice = vscode.QuickPickItem & { repo?: string; installed?: boolean; enter?: boolean };

/**
 * Choose Model's "Downloaded model": the models on this machine, the catalogue's (size, memory,
 * licence, and how long a line takes on this machine), or any repository id typed in.  One not
 * yet here is downloaded and built after a confirmation; the model source switches only once the
 * chosen model has loaded, so a failure leaves the model in use as it was.  Resolves to the
 * repository id in use afterwards, or undefined.
 */
export async function chooseDownloaded(deps: DownloadedDeps): Promise<string | undefined> {
  const model = deps.settings().model;
  const store = modelStore(model);
  const installed = store.installed();
  const inUse = model.source === 'pulled' ? model.values.repo : undefined;
  const here = new Set(installed.map((m) => m.name.toLowerCase()));
  const items: Choice[] = [
    { label: 'On this machine', kind: vscode.QuickPickItemKind.Separator },
    ...installed.map((m) => ({
      label: m.name,
      description: `${m.manifest.precision}, ${gb(m.bytes)}${m.name === inUse ? ', in use' : ''}`,
      detail: CATALOGUE.find((e) => e.repo === m.name)?.title,
      repo: m.name,
      installed: true,
    })),
    { label: 'Download from the Hugging Face Hub', kind: vscode.QuickPickItemKind.Separator },
    ...CATALOGUE.filter((e) => !here.has(e.repo.toLowerCase())).map((e) => ({ label: e.title, description: e.repo, detail: catalogueDetail(e), repo: e.repo })),
    { label: '$(cloud-download) Enter a repository id…', detail: 'Any Hugging Face repository of a layout the builder reads (ORG/NAME)', enter: true },
  ];
  const choice = await vscode.window.showQuickPick(items, {
    title: 'Diffusion Infill: Downloaded model',
    placeHolder: 'A model on this machine, or one to download and build',
    matchOnDescription: true,
    matchOnDetail: true,
    ignoreFocusOut: true,
  });
  if (!choice) return undefined;
  let repo = choice.repo;
  if (choice.enter) {
    repo = await vscode.window.showInputBox({
      title: 'Diffusion Infill: a repository on the Hugging Face Hub',
      prompt: 'ORG/NAME, optionally @REVISION: its safetensors are downloaded and built into a model',
      placeHolder: 'fredzzp/open-dcoder-0.5B',
      ignoreFocusOut: true,
      validateInput: (v) => {
        try {
          parseRepoRef(v.trim());
          return undefined;
        } catch (e) {
          return (e as Error).message;
        }
      },
    });
    repo = repo?.trim();
    if (!repo) return undefined;
  }
  if (!repo) return undefined;
  const name = parseRepoRef(repo).repo;
  if (!store.find(repo)) {
    const entry = CATALOGUE.find((e) => e.repo.toLowerCase() === name.toLowerCase());
    const confirm = await vscode.window.showQuickPick(
      [
        {
          label: '$(cloud-download) Download and build it',
          detail: entry
            ? `${gb(entry.downloadBytes)} to download, about ${gb(folderBytes(entry.params, 'int4'))} on disk (int4) in ${store.home}; licence ${entry.licence}`
            : `Only the configs, tokenizer and safetensors; built at int4 in ${store.home}`,
          go: true,
        },
        { label: 'Cancel', go: false },
      ],
      { title: `Diffusion Infill: download ${repo}?`, ignoreFocusOut: true },
    );
    if (!confirm?.go) return undefined;
    const pulled = await pullWithProgress(deps.context, model, repo, 'int4', deps.log);
    if (!pulled) return undefined;
  }
  const next = { ...deps.settings().model, source: 'pulled', values: { repo: name } };
  try {
    await deps.models.prepare(next);
  } catch (e) {
    deps.log.warn(`choose model: ${name} did not load: ${(e as Error).message}`);
    await vscode.window.showErrorMessage(`Diffusion Infill: ${name} did not load, so the model in use stays: ${(e as Error).message}`);
    return undefined;
  }
  await updateSetting('model.pulled', name);
  await updateSetting('model.source', 'pulled');
  deps.log.info(`choose model: the model is now ${name}, downloaded`);
  return name;
}

function catalogueDetail(e: CatalogueEntry): string {
  const use = e.recommended ? 'recommended for a laptop' : e.use === 'team-server' ? 'too slow for a laptop CPU: a team server model' : 'runs on a laptop';
  return `${(e.params / 1e9).toFixed(1)}B, ${gb(e.downloadBytes)} download, ${gb(memoryBytes(e.params, 'int4'))} memory, about ${secondsPerLine(e).toFixed(0)} s a line here; ${use}; licence ${e.licence}. ${e.scores}`;
}
