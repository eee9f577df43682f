import * as crypto from 'node:crypto';
import * as vscode from 'vscode';
import { Generations } from '../generations';
import { ModelService } from '../modelService';
import { Proposals } from '../refactor/proposals';
import { makeNonce, panelHtml } from './panelHtml';
import { draftMessage, isFromPanel, PanelSession, resultMessage, startMessage, ToPanel } from './panelMessages';

export const DRAFTS_VIEW_ID = 'diffusionInfill.drafts';
export const SHOW_DRAFTS_COMMAND = 'diffusionInfill.showDrafts';

export interface DraftsPanelDependencies {
  generations: Generations;
  models: ModelService;
  proposals: Proposals;
  log: vscode.LogOutputChannel;
}

/**
 * The Drafts view: follows every generation through the Generations broadcaster and posts its
 * drafts to the webview, which draws the canvas and keeps the steps for replay. Accept applies
 * the pending refactor proposal; Cancel cancels the running generation.
 */
export class DraftsPanel implements vscode.WebviewViewProvider, vscode.Disposable {
  private view: vscode.WebviewView | undefined;
  private readonly session = new PanelSession();
  private readonly subscriptions: vscode.Disposable[];

  constructor(
    private readonly extensionUri: vscode.Uri,
    private readonly deps: DraftsPanelDependencies,
  ) {
    const { generations, models, proposals } = deps;
    this.subscriptions = [
      generations.onDidStart((g) => {
        const state = models.state;
        const model = state.kind === 'ready' ? { name: state.info.name, device: state.info.device } : undefined;
        this.post(startMessage(g.id, g.kind, g.request, model));
      }),
      generations.onDidEvent(({ id, event }) => this.post(event.type === 'draft' ? draftMessage(id, event) : resultMessage(id, event))),
      generations.onDidEnd(({ id, outcome }) => {
        if (outcome.status === 'cancelled') this.post({ type: 'cancelled', id });
        else if (outcome.status === 'failed') this.post({ type: 'failed', id, message: outcome.error.message });
      }),
      proposals.onDidChangePending((p) => this.post({ type: 'pending', accept: p !== undefined, label: p ? `Accept ${p.mode}` : undefined })),
      proposals.onDidDecide((decision) => this.post({ type: 'decided', decision })),
    ];
  }

  resolveWebviewView(view: vscode.WebviewView): void {
    this.view = view;
    const media = vscode.Uri.joinPath(this.extensionUri, 'media');
    const dist = vscode.Uri.joinPath(this.extensionUri, 'dist');
    view.webview.options = { enableScripts: true, localResourceRoots: [media, dist] };
    view.webview.html = panelHtml({
      nonce: makeNonce((n) => crypto.randomBytes(n)),
      cspSource: view.webview.cspSource,
      scriptUri: view.webview.asWebviewUri(vscode.Uri.joinPath(dist, 'panel.js')).toString(),
      styleUri: view.webview.asWebviewUri(vscode.Uri.joinPath(media, 'panel.css')).toString(),
    });
    view.webview.onDidReceiveMessage((message: unknown) => {
      if (!isFromPanel(message)) return;
      if (message.type === 'ready') {
        // A webview created (or reloaded) after the generation began catches up from the record.
        for (const m of this.session.replay()) void view.webview.postMessage(m);
      } else if (message.type === 'cancel') {
        this.deps.generations.cancel();
      } else {
        void this.accept();
      }
    });
    view.onDidDispose(() => {
      if (this.view === view) this.view = undefined;
    });
  }

  dispose(): void {
    this.subscriptions.forEach((s) => s.dispose());
  }

  private async accept(): Promise<void> {
    if (this.deps.proposals.pending) await this.deps.proposals.accept();
  }

  private post(message: ToPanel): void {
    if (!this.session.record(message)) return;
    void this.view?.webview.postMessage(message);
  }
}

export function registerDraftsPanel(context: vscode.ExtensionContext, deps: DraftsPanelDependencies): DraftsPanel {
  const panel = new DraftsPanel(context.extensionUri, deps);
  context.subscriptions.push(
    panel,
    vscode.window.registerWebviewViewProvider(DRAFTS_VIEW_ID, panel, { webviewOptions: { retainContextWhenHidden: true } }),
    vscode.commands.registerCommand(SHOW_DRAFTS_COMMAND, () => vscode.commands.executeCommand(`${DRAFTS_VIEW_ID}.focus`)),
  );
  return panel;
}
