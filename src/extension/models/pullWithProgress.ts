import * as vscode from 'vscode';
import { convertOnWorker } from '../../convert/convertOnWorker';
import { Precision } from '../../convert/weights';
import { HubError } from '../../models/hub';
import { gb, pullModel, PullEvent } from '../../models/pull';
import { InstalledModel } from '../../models/store';
import { ModelSettings } from '../settings';
import { hubClient, modelStore, SET_HF_TOKEN_COMMAND } from './hubAccess';

/**
 * Downloads and builds a model with a progress notification (bytes, speed, time left, Cancel; it
 * goes on when the notification is hidden).  The conversion runs on a worker thread, the downloads
 * on the extension host's own fetch.  Cancel keeps what was downloaded for the next try.  A failure
 * is said with the action that fixes it (sign in, request access, try again).  Resolves to the
 * installed model, or undefined when it was cancelled or failed.
 */
export async function pullWithProgress(context: vscode.ExtensionContext, model: ModelSettings, repo: string, precision: Precision, log: vscode.LogOutputChannel): Promise<InstalledModel | undefined> {
  const hub = await hubClient(context);
  const store = modelStore(model);
  try {
    return await vscode.window.withProgress(
      { location: vscode.ProgressLocation.Notification, title: `Diffusion Infill: ${repo}`, cancellable: true },
      async (progress, token) => {
        const abort = new AbortController();
        token.onCancellationRequested(() => abort.abort());
        let shown = 0;
        const step = (fraction: number, message: string) => {
          const percent = Math.max(shown, Math.min(100, Math.round(fraction * 100)));
          progress.report({ message, increment: percent - shown });
          shown = percent;
        };
        const onEvent = (e: PullEvent) => {
          if (e.phase === 'resolved') log.info(`pull ${repo}: commit ${e.commit}, ${e.files} files, ${gb(e.bytes)} (${gb(e.toDownload)} to download, ${gb(e.freeBytes)} free)`);
          // Downloading is most of the time: 90% of the bar, building the rest.
          else if (e.phase === 'download') {
            const left = e.secondsLeft === null ? '' : `, ${duration(e.secondsLeft)} left`;
            step((0.9 * e.done) / Math.max(1, e.total), `downloading: ${gb(e.done)} of ${gb(e.total)}, ${(e.bytesPerSecond / 1e6).toFixed(1)} MB/s${left}`);
          } else if (e.phase === 'convert') step(0.9 + (0.1 * e.done) / Math.max(1, e.total), `building the ${precision} model`);
          else log.info(`pull ${repo}: ${e.reused ? 'already installed' : 'installed'} in ${e.model.dir}`);
        };
        return pullModel(repo, { precision, store, hub, onEvent, signal: abort.signal, convert: (src, dir, options) => convertOnWorker(src, dir, options, abort.signal) });
      },
    );
  } catch (e) {
    await explain(e as Error, repo, log);
    return undefined;
  }
}

/** The failure in the user's words, with the button that helps. */
async function explain(e: Error, repo: string, log: vscode.LogOutputChannel): Promise<void> {
  log.warn(`pull ${repo}: ${e.message}`);
  if (!(e instanceof HubError)) {
    await vscode.window.showErrorMessage(`Diffusion Infill: ${repo} could not be installed: ${e.message}`);
    return;
  }
  if (e.kind === 'cancelled') {
    void vscode.window.showInformationMessage(`Diffusion Infill: the download of ${repo} was cancelled; what was downloaded is kept, and choosing it again resumes it.`);
    return;
  }
  const page = e.page ? 'Open Model Page' : undefined;
  const actions: string[] = e.kind === 'auth' ? ['Set Hugging Face Token', ...(page ? [page] : [])] : e.kind === 'gated' ? ['Request Access'] : ['Try Again'];
  const choice = await vscode.window.showErrorMessage(`Diffusion Infill: ${e.message}`, ...actions);
  if (choice === 'Set Hugging Face Token') await vscode.commands.executeCommand(SET_HF_TOKEN_COMMAND);
  else if ((choice === 'Request Access' || choice === page) && e.page) await vscode.env.openExternal(vscode.Uri.parse(e.page));
  else if (choice === 'Try Again') await vscode.commands.executeCommand('diffusionInfill.chooseModel', 'pulled');
}

function duration(seconds: number): string {
  if (seconds < 90) return `${Math.ceil(seconds)} s`;
  if (seconds < 5400) return `${Math.round(seconds / 60)} min`;
  return `${(seconds / 3600).toFixed(1)} h`;
}
