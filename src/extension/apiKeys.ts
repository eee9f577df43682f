import * as vscode from 'vscode';
import { showUrl } from '../core/remote';
import { apiKeySlot, ApiKeyLookup } from './engineSource';
import { ModelSettings } from './settings';

export const SET_API_KEY_COMMAND = 'diffusionInfill.setApiKey';

/**
 * API keys and bearer tokens live in VS Code's SecretStorage, never in settings or logs.
 * `onChange` runs when a key changes, so the engine that holds the old one is dropped.
 */
export function registerApiKeys(context: vscode.ExtensionContext, model: () => ModelSettings, onChange: () => void): ApiKeyLookup {
  context.subscriptions.push(
    context.secrets.onDidChange((e) => {
      if (e.key.startsWith('diffusionInfill.apiKey:')) onChange();
    }),
    vscode.commands.registerCommand(SET_API_KEY_COMMAND, async () => {
      const url = model().remoteUrl;
      if (!url) {
        void vscode.window.showWarningMessage('Diffusion Infill: set diffusionInfill.model.remoteUrl first; the key is stored for that server.');
        return;
      }
      const slot = apiKeySlot(url);
      const key = await vscode.window.showInputBox({
        title: `Diffusion Infill: API key for ${showUrl(url)}`,
        prompt: "Stored in VS Code's secret storage for this server only. Leave empty to remove it.",
        password: true,
        ignoreFocusOut: true,
      });
      if (key === undefined) return;
      if (key === '') await context.secrets.delete(slot);
      else await context.secrets.store(slot, key);
    }),
  );
  return async (url) => context.secrets.get(apiKeySlot(url));
}
