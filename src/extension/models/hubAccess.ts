import * as vscode from 'vscode';
import { HubClient, hubSettingsFromEnv } from '../../models/hub';
import { ModelStore } from '../../models/store';
import { ModelSettings } from '../settings';

export const SET_HF_TOKEN_COMMAND = 'diffusionInfill.setHuggingFaceToken';
const TOKEN_SLOT = 'diffusionInfill.huggingFaceToken';

/** The store the extension downloads into: diffusionInfill.models.folder, else the one the CLI uses. */
export function modelStore(model: ModelSettings): ModelStore {
  return new ModelStore(model.modelsFolder);
}

/**
 * The hub, asked through the extension host's own fetch (VS Code's, with its proxies and system
 * certificates): diffusionInfill.models.hub, else HF_ENDPOINT; the token from SecretStorage, else
 * HF_TOKEN; HF_HUB_OFFLINE as the CLI reads it.
 */
export async function hubClient(context: vscode.ExtensionContext): Promise<HubClient> {
  const env = hubSettingsFromEnv();
  const endpoint = vscode.workspace.getConfiguration('diffusionInfill').get<string>('models.hub')?.trim();
  const token = (await context.secrets.get(TOKEN_SLOT)) || env.token;
  return new HubClient({
    ...env,
    endpoint: endpoint ? endpoint.replace(/\/+$/, '') : env.endpoint,
    token,
    fetch: globalThis.fetch,
    userAgent: `diffusion-infill-vscode/${vscode.extensions.getExtension('diffusion-infill.diffusion-infill')?.packageJSON.version ?? 'dev'}`,
  });
}

/** "Diffusion Infill: Set Hugging Face Token": kept in SecretStorage, sent only to the hub. */
export function registerHfToken(context: vscode.ExtensionContext): vscode.Disposable {
  return vscode.commands.registerCommand(SET_HF_TOKEN_COMMAND, async () => {
    const stored = (await context.secrets.get(TOKEN_SLOT)) !== undefined;
    const value = await vscode.window.showInputBox({
      title: 'Diffusion Infill: Hugging Face token',
      prompt: `For gated or private models (huggingface.co/settings/tokens; read access is enough). Kept in VS Code's secret storage, sent only to the hub. ${stored ? 'Clear it to remove the stored one.' : ''}`,
      password: true,
      ignoreFocusOut: true,
      placeHolder: 'hf_...',
    });
    if (value === undefined) return false;
    if (value.trim()) await context.secrets.store(TOKEN_SLOT, value.trim());
    else await context.secrets.delete(TOKEN_SLOT);
    return true;
  });
}
