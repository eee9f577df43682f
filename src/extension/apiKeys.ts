import * as vscode from 'vscode';
import { kindById } from '../core/engineKinds';
import { showUrl } from '../core/remote';
import { apiKeySlot, ApiKeyLookup, secretUrl } from './engineSource';
import { ModelSettings } from './settings';

export const SET_API_KEY_COMMAND = 'diffusionInfill.setApiKey';
export const CHOOSE_MODEL_COMMAND = 'diffusionInfill.chooseModel';

/** API keys and bearer tokens in VS Code's SecretStorage, one per server origin: never in settings or logs. */
export interface ApiKeys {
  lookup: ApiKeyLookup;
  store(url: string, key: string | undefined): Promise<void>;
  /** Asks for the key of a server; undefined when the user dismissed the box, '' for "none". */
  ask(url: string, label: string, stored: boolean): Promise<string | undefined>;
}

/** `onChange` runs when a key changes, so the engine that holds the old one is dropped. */
export function registerApiKeys(context: vscode.ExtensionContext, model: () => ModelSettings, onChange: () => void): ApiKeys {
  const keys: ApiKeys = {
    lookup: async (url) => context.secrets.get(apiKeySlot(url)),
    store: async (url, key) => {
      if (key) await context.secrets.store(apiKeySlot(url), key);
      else await context.secrets.delete(apiKeySlot(url));
    },
    ask: (url, label, stored) =>
      Promise.resolve(
        vscode.window.showInputBox({
          title: `Diffusion Infill: ${label} for ${showUrl(url)}`,
          prompt: `Kept in VS Code's secret storage, sent only to this server. ${stored ? 'Leave as it is to keep the stored one; clear it to remove it.' : 'Leave empty if the server needs none.'}`,
          value: stored ? KEEP : '',
          password: true,
          ignoreFocusOut: true,
        }),
      ),
  };
  context.subscriptions.push(
    context.secrets.onDidChange((e) => {
      if (e.key.startsWith('diffusionInfill.apiKey:')) onChange();
    }),
    vscode.commands.registerCommand(SET_API_KEY_COMMAND, async () => {
      const settings = model();
      const kind = kindById(settings.source);
      const url = kind?.secret ? secretUrl(kind, settings.values) : undefined;
      if (!kind?.secret || !url) {
        // No server to send a key to yet: choosing one asks for its key on the way.
        const choice = await vscode.window.showWarningMessage(
          `Diffusion Infill: the model source "${settings.source}" takes no key. Choose a server or an endpoint first; its key is asked for on the way.`,
          'Choose Model…',
        );
        if (choice) await vscode.commands.executeCommand(CHOOSE_MODEL_COMMAND);
        return;
      }
      const key = await keys.ask(url, kind.secret.label, (await keys.lookup(url)) !== undefined);
      if (key === undefined || key === KEEP) return;
      await keys.store(url, key);
    }),
  );
  return keys;
}

/** What the key box shows for a stored key: the key itself never comes back out of SecretStorage into a box. */
export const KEEP = '••••••••';
