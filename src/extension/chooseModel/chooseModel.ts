import * as vscode from 'vscode';
import { ENGINE_KINDS, EngineKind, kindById, kindValues } from '../../core/engineKinds';
import { ApiKeys, CHOOSE_MODEL_COMMAND } from '../apiKeys';
import { secretUrl } from '../engineSource';
import { updateSetting } from '../menu/switches';
import { ExtensionSettings } from '../settings';
import { chooseDownloaded, DownloadedDeps } from '../models/chooseDownloaded';
import { guidedFlow } from './guidedFlow';

/** What Choose Model did, for tests and callers: the kind chosen, and whether it was saved. */
export interface ChooseModelOutcome {
  source?: string;
  saved: boolean;
}

/**
 * "Diffusion Infill: Choose Model...": a list of the engine kinds, then the chosen kind's guided
 * flow (src/extension/chooseModel/guidedFlow.ts). Its settings, its key and the source are saved
 * only at the end: a flow given up leaves the model in use as it was.
 */
export function registerChooseModel(
  settings: () => ExtensionSettings,
  keys: ApiKeys,
  log: vscode.LogOutputChannel,
  downloaded: DownloadedDeps,
): vscode.Disposable {
  return vscode.commands.registerCommand(CHOOSE_MODEL_COMMAND, async (id?: unknown): Promise<ChooseModelOutcome> => {
    const current = settings().model;
    const kind = (typeof id === 'string' ? kindById(id) : undefined) ?? (await pickKind(current.source));
    if (!kind) return { saved: false };
    // A downloaded model is chosen from a list, fetched and built if needed (src/extension/models).
    if (kind.id === 'pulled') return { source: kind.id, saved: (await chooseDownloaded(downloaded)) !== undefined };
    const config = vscode.workspace.getConfiguration('diffusionInfill');
    const values = kindValues(kind, (key) => config.get(key));
    const answer = kind.fields.length || kind.secret ? await guidedFlow(kind, values, keys, log) : { values };
    if (!answer) return { source: kind.id, saved: false };
    for (const field of kind.fields) await updateSetting(field.setting, answer.values[field.name]);
    const url = secretUrl(kind, answer.values);
    if (url && answer.key !== undefined) await keys.store(url, answer.key);
    await updateSetting('model.source', kind.id);
    log.info(`choose model: the model source is now ${kind.id}`);
    return { source: kind.id, saved: true };
  });
}

async function pickKind(current: string): Promise<EngineKind | undefined> {
  const choice = await vscode.window.showQuickPick(
    ENGINE_KINDS.map((engine) => ({ label: engine.label, description: engine.id === current ? 'in use' : '', detail: engine.detail, engine })),
    { title: 'Diffusion Infill: Choose Model', placeHolder: 'Where the model comes from', matchOnDetail: true },
  );
  return choice?.engine;
}
