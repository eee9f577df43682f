import * as vscode from 'vscode';
import { gb } from '../../models/pull';
import { ExtensionSettings } from '../settings';
import { modelStore } from './hubAccess';

export const MANAGE_MODELS_COMMAND = 'diffusionInfill.manageModels';

type Item = vscode.QuickPickItem & { dir?: string; name?: string; precision?: string; partial?: boolean; open?: boolean };

const TRASH: vscode.QuickInputButton = { iconPath: new vscode.ThemeIcon('trash'), tooltip: 'Delete' };

/**
 * "Diffusion Infill: Manage Models": the downloaded models and the partial downloads, each with a
 * Delete button (a partial download is what a cancelled or cut pull left for the next one), and the
 * store's folder.  The model in use is not deleted: choose another first.
 */
export function registerManageModels(settings: () => ExtensionSettings, log: vscode.LogOutputChannel): vscode.Disposable {
  return vscode.commands.registerCommand(MANAGE_MODELS_COMMAND, async () => {
    const pick = vscode.window.createQuickPick<Item>();
    pick.title = 'Diffusion Infill: Manage Models';
    pick.placeholder = 'Downloaded models and partial downloads; the trash button deletes one';
    const refresh = () => {
      const model = settings().model;
      const store = modelStore(model);
      const inUse = model.source === 'pulled' ? model.values.repo : undefined;
      const installed = store.installed();
      const partials = store.partials();
      pick.items = [
        { label: 'downloaded', kind: vscode.QuickPickItemKind.Separator },
        ...(installed.length ? [] : [{ label: 'none yet: Choose Model… downloads one' }]),
        ...installed.map((m) => ({
          label: m.name,
          description: `${m.manifest.precision}, ${gb(m.bytes)}, commit ${m.manifest.commit.slice(0, 8)}${m.name === inUse ? ', in use' : ''}`,
          buttons: m.name === inUse ? [] : [TRASH],
          dir: m.dir,
          name: m.name,
          precision: m.manifest.precision,
        })),
        ...(partials.length ? [{ label: 'partial downloads', kind: vscode.QuickPickItemKind.Separator }] : []),
        ...partials.map((p) => ({
          label: p.repo,
          description: `${gb(p.bytes)} so far, commit ${p.commit.slice(0, 8)}`,
          detail: 'Left by a cancelled or cut download; downloading the same model again resumes it',
          buttons: [TRASH],
          dir: p.dir,
          name: p.repo,
          partial: true,
        })),
        { label: '', kind: vscode.QuickPickItemKind.Separator },
        { label: '$(folder-opened) Open the models folder', description: store.home, open: true },
      ];
    };
    refresh();
    pick.onDidTriggerItemButton(async ({ item }) => {
      if (!item.name) return;
      const store = modelStore(settings().model);
      const gone = item.partial ? store.removePartial(item.dir!) : store.remove(item.name, item.precision);
      for (const dir of gone) log.info(`manage models: deleted ${dir}`);
      refresh();
    });
    pick.onDidAccept(async () => {
      const item = pick.selectedItems[0];
      if (item?.open) {
        const home = modelStore(settings().model).home;
        await vscode.workspace.fs.createDirectory(vscode.Uri.file(home));
        await vscode.commands.executeCommand('revealFileInOS', vscode.Uri.file(home));
      }
      pick.hide();
    });
    pick.onDidHide(() => pick.dispose());
    pick.show();
  });
}
